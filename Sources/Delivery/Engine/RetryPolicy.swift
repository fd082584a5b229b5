import RelayCore

/// A source of uniform random integers in `0...upper`, injectable so backoff is testable.
public struct RandomSource: Sendable {
    private let draw: @Sendable (Int64) -> Int64

    /// `draw(upper)` must return a value in `0...upper` (`upper >= 0`).
    public init(_ draw: @escaping @Sendable (Int64) -> Int64) {
        self.draw = draw
    }

    public func next(upTo upper: Int64) -> Int64 {
        guard upper > 0 else { return 0 }
        return min(upper, max(0, draw(upper)))
    }

    /// The system generator.
    public static let system = RandomSource { upper in Int64.random(in: 0...upper) }
    /// Always the upper bound: the longest backoff (tests).
    public static let maximum = RandomSource { $0 }
    /// Always zero (tests).
    public static let zero = RandomSource { _ in 0 }
}

/// When to try a failed delivery again: exponential backoff with full jitter (a delay drawn
/// uniformly from `0...min(maxDelay, baseDelay · 2^(n-1))` after the n-th try), never sooner than
/// the provider's `Retry-After`, at most `maxAttempts` tries, and never past the OTP's expiry: a
/// code that cannot be sent while valid is worth nothing, so the job expires instead.
public struct RetryPolicy: Sendable {
    public static let defaultBaseDelay: Duration = .milliseconds(500)
    public static let defaultMaxDelay: Duration = .seconds(30)
    public static let defaultMaxAttempts = 8

    public var baseDelay: Duration
    public var maxDelay: Duration
    /// Tries (attempts rows) after which a retryable failure ends the job `dead`.
    public var maxAttempts: Int
    public var random: RandomSource

    public init(
        baseDelay: Duration = defaultBaseDelay, maxDelay: Duration = defaultMaxDelay,
        maxAttempts: Int = defaultMaxAttempts, random: RandomSource = .system
    ) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
        self.random = random
    }

    /// What to do after a retryable failure.
    public enum Decision: Sendable, Equatable {
        /// Queue again for `runAt`.
        case retry(runAt: Int64)
        /// Out of attempts: the job ends `dead`.
        case giveUp(attempts: Int)
        /// The next try would come after `expires_at`: the job ends `expired`.
        case expire
    }

    /// The upper bound of the jittered delay after the `attempt`-th try (1-based).
    /// Whole milliseconds, the unit of the job's `run_at`.
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        .milliseconds(ceilingMillis(afterAttempt: attempt))
    }

    /// A full-jitter delay after the `attempt`-th try, in whole milliseconds.
    public func backoff(afterAttempt attempt: Int) -> Duration {
        .milliseconds(backoffMillis(afterAttempt: attempt))
    }

    private func ceilingMillis(afterAttempt attempt: Int) -> Int64 {
        let base = baseDelay.wholeMilliseconds
        let most = maxDelay.wholeMilliseconds
        let exponent = max(0, attempt - 1)
        guard exponent < 62, base > 0 else { return most }
        let (grown, overflow) = base.multipliedReportingOverflow(by: Int64(1) << exponent)
        return overflow ? most : min(most, grown)
    }

    private func backoffMillis(afterAttempt attempt: Int) -> Int64 {
        random.next(upTo: ceilingMillis(afterAttempt: attempt))
    }

    /// Decides after the `attemptsMade`-th try (this one included) failed retryably at `now`.
    public func decide(attemptsMade: Int, now: Int64, expiresAt: Int64, retryAfterMillis: Int64?) -> Decision {
        if attemptsMade >= maxAttempts { return .giveUp(attempts: attemptsMade) }
        let delay = max(backoffMillis(afterAttempt: attemptsMade), max(0, retryAfterMillis ?? 0))
        let runAt = now + delay
        return runAt >= expiresAt ? .expire : .retry(runAt: runAt)
    }

    /// The time to retry at when the only obstacle is open circuit breakers (`notBefore`): not a
    /// failure of this job, so no attempt budget is checked, only the expiry.
    public func deferral(until notBefore: Int64, expiresAt: Int64) -> Decision {
        notBefore >= expiresAt ? .expire : .retry(runAt: notBefore)
    }
}
