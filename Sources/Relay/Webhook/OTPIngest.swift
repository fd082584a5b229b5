import Outbox
import RelayCore
import RelayCrypto

/// What the webhook answers for an accepted (or repeated) OTP.
struct AcceptedJob: Sendable {
    let id: String
    let status: String
}

/// Turns a webhook body into a durable outbox job: validate, limit per identifier, derive the
/// keyed hashes, enqueue, and answer only after the commit.
final class OTPIngest: Sendable {
    struct Settings: Sendable {
        var defaultCountryCode: String
        var otpValidity: Duration
        var dedupeWindow: Duration
    }

    private let store: any JobIngestStore
    private let settings: Settings
    private let perIdentifier: SlidingWindowLimiter<UInt64>
    private let keys: OutboxKeys
    /// Stored times (`created_at`, `expires_at`).
    private let clock: any WallClock
    /// The per-identifier window and the security log's interval.
    private let monotonic: any MonotonicClock
    private let logger: Logger
    /// Refusals by the per-identifier limit: the first per identifier per window, then a summary.
    let securityLog: SecurityEventLog
    private let metrics: RelayMetrics

    init(
        store: any JobIngestStore, dataKey: DataKey, settings: Settings, perIdentifier: SlidingWindowLimiter<UInt64>,
        clock: any WallClock, monotonic: any MonotonicClock, logger: Logger, metrics: RelayMetrics
    ) {
        self.store = store
        self.settings = settings
        self.perIdentifier = perIdentifier
        self.keys = OutboxKeys(dataKey: dataKey)
        self.clock = clock
        self.monotonic = monotonic
        self.logger = logger
        self.metrics = metrics
        self.securityLog = SecurityEventLog(logger: logger, intervalMillis: perIdentifier.windowMillis)
    }

    /// `completion` runs on `executor` when given (the event loop that read the request), else on
    /// the store's writer thread, or at once on the caller's thread for a refused body.
    func submit(
        body: [UInt8], requestID: String, executor: (any CompletionExecutor)? = nil,
        completion: @escaping @Sendable (Result<AcceptedJob, PartnerError>) -> Void
    ) {
        // The request id is a field of each line rather than `logger.with` metadata: `with` copies
        // the logger and allocates on every request, and the accepted path logs nothing at info.
        let logger = self.logger
        let submission: OTPSubmission
        do {
            submission = try OTPSubmission.parse(body, defaultCountryCode: settings.defaultCountryCode)
        } catch {
            metrics.rejected(error.code)
            logger.info(
                "webhook rejected",
                [
                    "request_id": .string(requestID), "error": .string(error.code), "reason": .string(error.errorDescription),
                ])
            completion(.failure(error))
            return
        }
        let now = clock.nowMillis()
        let recipientHash = keys.recipientHash(submission.recipient)
        let dedupe = keys.dedupeKey(
            channel: submission.channel.rawValue, recipient: submission.recipient,
            secret: Array(submission.otp.utf8))
        let tag = dedupe.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let identity = recipientHash.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let elapsed = monotonic.elapsedMillis()
        let limit = perIdentifier.record(identity, tag: tag, now: elapsed)
        let job = NewJob.otp(
            channel: submission.channel, recipient: submission.recipient, recipientHash: recipientHash,
            otp: submission.otp, dedupeKey: dedupe, dedupeWindow: settings.dedupeWindow,
            createdAt: now, expiresAt: now + settings.otpValidity.wholeMilliseconds)
        let metrics = self.metrics
        guard limit.allowed else {
            // A repeat of a job accepted on another node (which this node's limiter never saw) gets
            // the first job's id, as on the node that took it; anything else is refused.
            let refusal = PartnerError.rateLimited(retryAfterSeconds: limit.retryAfterSeconds)
            let securityLog = self.securityLog
            store.findRepeat(of: job, executor: executor) { result in
                if case .success(let first?) = result {
                    metrics.accepted(duplicate: true)
                    return completion(.success(AcceptedJob(id: first.id, status: first.status.rawValue)))
                }
                metrics.rejected("rate_limited")
                securityLog.note("webhook rate limited", key: String(identity, radix: 16), now: elapsed) {
                    logger.info(
                        "webhook rate limited",
                        [
                            "request_id": .string(requestID), "channel": .string(submission.channel.rawValue),
                            "to": .string(Recipient.mask(submission.recipient)),
                        ])
                }
                completion(.failure(refusal))
            }
            return
        }
        store.enqueue(job, executor: executor) { result in
            switch result {
            case .success(let r):
                metrics.accepted(duplicate: r.duplicate)
                logger.debug(
                    "webhook accepted",
                    [
                        "request_id": .string(requestID), "job_id": .string(r.id), "duplicate": .bool(r.duplicate),
                        "channel": .string(submission.channel.rawValue),
                    ])
                completion(.success(AcceptedJob(id: r.id, status: r.status.rawValue)))
            case .failure(let e):
                metrics.rejected("service_unavailable")
                logger.error("webhook not stored", ["request_id": .string(requestID), "error": .string(String(describing: e))])
                completion(.failure(.unavailable(retryAfterSeconds: 1, reason: "store cannot commit")))
            }
        }
    }
}
