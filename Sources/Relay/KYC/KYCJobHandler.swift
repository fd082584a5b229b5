import Delivery
import Outbox
import RelayCore
import SQEKYC

/// Delivers `kyc` jobs: opens the sealed record, stores it in SQEKYC and says where the job goes
/// next. Plugged into the delivery `WorkerPool`, so KYC shares claiming, leases, fencing,
/// expiry, dead-letter and replay with OTPs; retries use the pool's own `RetryPolicy`.
///
/// - stored (2xx with a well-formed meta) → `sent`; the store erases the sealed record.
/// - 401/403 → `dead` at once, the reason naming the credentials (never their value).
/// - 400/422/other 4xx → `dead` at once: the same record would be refused again.
/// - 408/429/5xx, malformed answers, timeouts, connection failures → retried with backoff
///   (never before `Retry-After`), `dead` after the policy's attempts, `expired` past the job's
///   validity.
///
/// One per worker thread (it owns a non-Sendable `SQEKYCClient`): use `factory`.
final class KYCJobHandler: JobHandler {
    /// The provider name in `jobs.provider` and `attempts.provider`.
    static let provider = "sqekyc"

    private let client: SQEKYCClient
    private let retry: RetryPolicy
    private let clock: any WallClock
    private let logger: Logger

    init(client: SQEKYCClient, retry: RetryPolicy, clock: any WallClock, logger: Logger) {
        self.client = client
        self.retry = retry
        self.clock = clock
        self.logger = logger
    }

    /// A factory for `WorkerPool(handlers: [.kyc: …])`: each worker thread gets its own client.
    static func factory(settings: SQEKYCSettings, retry: RetryPolicy, clock: any WallClock, logger: Logger) -> JobHandlerFactory {
        let configuration = settings.client
        return {
            KYCJobHandler(
                client: SQEKYCClient(configuration: configuration, clock: clock),
                retry: retry, clock: clock, logger: logger)
        }
    }

    func handle(_ job: ClaimedJob, now: Int64) -> (JobTransition, AttemptReport) {
        guard let record = KYCRecord.decode(job.secret) else {
            logger.error("kyc payload is not a KYC record", ["job_id": .string(job.id)])
            return (
                .dead(reason: "the payload is not a KYC record"),
                AttemptReport(
                    outcome: .permanent, provider: Self.provider, startedAt: now, finishedAt: now,
                    errorClass: "payload_invalid", errorMessage: "the sealed payload is not a KYC record")
            )
        }
        let started = clock.nowMillis()
        do {
            let meta = try client.store(record)
            logger.info(
                "kyc stored",
                [
                    "job_id": .string(job.id), "to": .string(job.recipientMasked),
                    "request_id": .string(meta.id),
                ])
            var r = report(.sent, started: started)
            r.providerMessageID = meta.id.isEmpty ? nil : meta.id
            return (.sent, r)
        } catch {
            return failed(job, error, started: started)
        }
    }

    private func failed(_ job: ClaimedJob, _ error: SQEKYCError, started: Int64) -> (JobTransition, AttemptReport) {
        let finished = clock.nowMillis()
        let reason = error.description
        switch error.classification {
        case .credentials:
            logger.error(
                "kyc refused: SQEKYC does not accept our credentials",
                ["job_id": .string(job.id), "status": .int(Int64(error.httpStatus ?? 0))])
            return (.dead(reason: reason), report(.permanent, started: started, error: error))
        case .permanent:
            logger.warning(
                "kyc rejected",
                [
                    "job_id": .string(job.id), "to": .string(job.recipientMasked),
                    "error": .string(reason),
                ])
            return (.dead(reason: reason), report(.permanent, started: started, error: error))
        case .retryable:
            let transition: JobTransition
            switch retry.decide(
                attemptsMade: job.attempts + 1, now: finished, expiresAt: job.expiresAt,
                retryAfterMillis: error.retryAfterMillis)
            {
            case .retry(let runAt): transition = .retry(runAt: runAt)
            case .giveUp(let n): transition = .dead(reason: "gave up after \(n) attempts: \(reason)")
            case .expire: transition = .expired
            }
            logger.warning(
                "kyc not stored",
                [
                    "job_id": .string(job.id), "error": .string(reason),
                    "next": .string(Self.describe(transition)),
                ])
            return (transition, report(.retryable, started: started, error: error))
        }
    }

    /// One try's record: the HTTP status of the call just made, the error's class and text.
    private func report(_ outcome: AttemptOutcome, started: Int64, error: SQEKYCError? = nil) -> AttemptReport {
        AttemptReport(
            outcome: outcome, provider: Self.provider, startedAt: started, finishedAt: clock.nowMillis(),
            httpStatus: client.lastHTTPStatus, errorClass: error?.errorClass, errorMessage: error?.description)
    }

    static func describe(_ t: JobTransition) -> String {
        switch t {
        case .retry: return "retry"
        case .dead: return "dead"
        case .expired: return "expired"
        case .sent, .accepted: return "sent"
        case .nextRoute: return "next_route"
        }
    }
}
