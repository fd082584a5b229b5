import Outbox

/// Turns a provider's outcome on one rung into the job's next state. Pure, so each rule is tested
/// on its own.
///
/// - `sent` → `sent`.
/// - `retryable` → retry on the same rung after the policy's backoff (never before `Retry-After`);
///   `dead` once the attempts are spent; `expired` when the next try would come after expiry.
/// - `nextRoute` → the next rung (next provider, then the fallback channel) at once; `dead` when
///   none is left.
/// - `providerFailure` (the provider's account, sender, template or limits) → the next rung at
///   once; `dead` when none is left. Counted against the breaker.
/// - `permanent` → `dead`, except a failure of the provider itself (HTTP 401/403, a configuration
///   error such as a refused protocol): another provider may well deliver, so it moves to the next
///   rung when there is one. A permanent about the recipient (invalid number, SMTP 550) ends `dead`.
enum OutcomeJudgement {
    static func transition(
        for outcome: DeliveryOutcome, rung: Routes.Rung, rungs: [Routes.Rung], attemptsMade: Int,
        now: Int64, expiresAt: Int64, retry: RetryPolicy
    ) -> (JobTransition, AttemptOutcome) {
        let hasNext = rung.step + 1 < rungs.count
        switch outcome {
        case .sent:
            return (.sent, .sent)
        case .retryable(let reason, let retryAfter, _):
            switch retry.decide(attemptsMade: attemptsMade, now: now, expiresAt: expiresAt, retryAfterMillis: retryAfter) {
            case .retry(let runAt): return (.retry(runAt: runAt), .retryable)
            case .giveUp(let n): return (.dead(reason: "gave up after \(n) attempts: \(reason)"), .retryable)
            case .expire: return (.expired, .retryable)
            }
        case .nextRoute(let reason, _):
            return hasNext
                ? (.nextRoute(step: rung.step + 1, runAt: now), .nextRoute)
                : (.dead(reason: "no route left: \(reason)"), .nextRoute)
        case .providerFailure(let reason, _):
            return hasNext
                ? (.nextRoute(step: rung.step + 1, runAt: now), .permanent)
                : (.dead(reason: "no route left: \(reason)"), .permanent)
        case .permanent(let reason, _):
            if hasNext && isProviderFailure(outcome) {
                return (.nextRoute(step: rung.step + 1, runAt: now), .permanent)
            }
            return (.dead(reason: reason), .permanent)
        }
    }

    /// Whether the outcome says the provider (not the recipient) is failing: counts against its
    /// circuit breaker.
    static func isProviderFailure(_ outcome: DeliveryOutcome) -> Bool {
        switch outcome {
        case .sent, .nextRoute:
            return false
        case .retryable, .providerFailure:
            return true
        case .permanent(let reason, let status):
            return status == 401 || status == 403 || reason.hasPrefix("configuration")
        }
    }

    /// A short class for the attempts row: the reason up to its first `:` (`twilio 21211`,
    /// `transport timeout`, `smtp 550`).
    static func errorClass(_ outcome: DeliveryOutcome) -> String? {
        guard let reason = outcome.reason else { return nil }
        let head = reason.split(separator: ":", maxSplits: 1).first.map(String.init) ?? reason
        return String(head.prefix(64))
    }
}
