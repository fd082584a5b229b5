import Outbox
import RelayCore

/// What delivery receipts do to a job. Pure: `decide` runs inside the store's transaction.
///
/// - An acceptance by a provider with receipts keeps the sealed OTP (`accepted`), with a
///   fallback time when the rung's channel has `fallback_after_ms` and a next rung exists.
/// - `delivered` / `read` → `delivered` from any status but `delivered` (never moves back; a late
///   receipt of an older attempt still tells the truth).
/// - A failure of the attempt the job waits on (status `sent`, the same rung), judged by the same
///   code tables as a synchronous error: a recipient problem (`permanent`) → `undelivered`;
///   anything else (not on WhatsApp, carrier failure, provider-side, retryable) → the next rung at
///   once while the OTP is valid, `undelivered` when none is left or after the expiry.
/// - Progress (`queued`, `sent`, …) and failures of older attempts are recorded only.
public enum ReceiptJudgement {
    static func accepted(
        rung: Routes.Rung, rungs: [Routes.Rung], now: Int64, expiresAt: Int64, config: DeliveryConfiguration
    ) -> JobTransition {
        guard rung.step + 1 < rungs.count, let after = config.fallbackAfter[rung.channel] else {
            return .accepted(fallbackAt: nil)
        }
        let at = now + after.wholeMilliseconds
        return .accepted(fallbackAt: at < expiresAt ? at : nil)
    }

    public static func decide(
        _ r: Receipt, target t: ReceiptTarget, now: Int64, configuration: DeliveryConfiguration
    ) -> ReceiptTransition {
        switch r.kind {
        case .progress, .timeout:
            return .none
        case .delivered:
            return t.status == .delivered ? .none : .delivered
        case .failed:
            guard t.status == .sent, t.attemptRouteStep == t.routeStep else { return .none }
            let kind = configuration.providers[r.provider]?.kind ?? ""
            let outcome = failure(kind: kind, code: r.errorCode)
            let reason = outcome.reason ?? "failure receipt"
            guard now < t.expiresAt, t.hasPayload else { return .undelivered(reason: "\(reason) (after expiry)") }
            if case .permanent = outcome { return .undelivered(reason: reason) }
            let rungs = Channel(rawValue: t.channel).map { configuration.routes.rungs(for: $0) } ?? []
            let next = t.routeStep + 1
            guard next < rungs.count else { return .undelivered(reason: "no route left: \(reason)") }
            return .nextRoute(step: next, runAt: now)
        }
    }

    /// A failure receipt's error code judged by the provider kind's table (`twilio`,
    /// `meta_whatsapp`); without a known code, another route may still reach the person.
    public static func failure(kind: String, code: String?) -> DeliveryOutcome {
        let n = code.flatMap { Int($0) }
        switch kind {
        case "twilio": return OutcomeRules.receiptFailure(code: n, provider: "twilio", classify: TwilioErrorCodes.classify)
        case "meta_whatsapp": return OutcomeRules.receiptFailure(code: n, provider: "meta", classify: MetaErrorCodes.classify)
        default: return .nextRoute(reason: "\(kind) failure receipt", status: nil)
        }
    }
}
