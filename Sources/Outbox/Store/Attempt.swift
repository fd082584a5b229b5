/// How one try ended, as recorded in `attempts.outcome`.
public enum AttemptOutcome: String, Sendable, CaseIterable, Codable {
    case sent
    case retryable
    case permanent
    case nextRoute = "next_route"
    case expired
}

/// What a worker reports about one try. Texts must hold no secret (no OTP, no full recipient).
public struct AttemptReport: Sendable {
    public var outcome: AttemptOutcome
    /// The channel actually used (differs from the job's on a fallback rung); nil for the job's own.
    public var channel: String?
    public var provider: String?
    public var startedAt: Int64
    public var finishedAt: Int64
    public var httpStatus: Int?
    public var smtpStatus: Int?
    public var providerMessageID: String?
    public var errorClass: String?
    public var errorMessage: String?

    public init(
        outcome: AttemptOutcome, channel: String? = nil, provider: String?, startedAt: Int64,
        finishedAt: Int64, httpStatus: Int? = nil, smtpStatus: Int? = nil,
        providerMessageID: String? = nil, errorClass: String? = nil, errorMessage: String? = nil
    ) {
        self.outcome = outcome
        self.channel = channel
        self.provider = provider
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.httpStatus = httpStatus
        self.smtpStatus = smtpStatus
        self.providerMessageID = providerMessageID
        self.errorClass = errorClass
        self.errorMessage = errorMessage
    }
}

/// Where a finished try moves its job.
public enum JobTransition: Sendable, Equatable {
    /// Accepted by the provider: status `sent`, payload erased.
    case sent
    /// Accepted by a provider that sends receipts: status `sent`, payload kept so a failure
    /// receipt can move the job to the next rung; at `fallbackAt` (when given) with no delivered
    /// receipt it moves there anyway.
    case accepted(fallbackAt: Int64?)
    /// Try again at `runAt` on the same rung: status `queued`.
    case retry(runAt: Int64)
    /// Move to rung `step` of the route (next provider or fallback channel) at `runAt`.
    case nextRoute(step: Int, runAt: Int64)
    /// Give up: status `dead`, `reason` kept in `last_error`, payload kept until expiry.
    case dead(reason: String)
    /// Validity passed: status `expired`, payload erased.
    case expired
}

/// The result of `finish`: applied, or refused because the lease was lost (fencing).
public enum FinishResult: Sendable, Equatable {
    case applied
    case leaseLost
}

/// The result of replaying one job.
public enum ReplayResult: Sendable, Equatable {
    case replayed
    case notFound
    /// Only dead jobs can be replayed.
    case notDead(JobStatus)
    /// The OTP's validity passed (or the payload is gone): refusing to send a stale code.
    case expired
}

/// One row of `attempts`, for operators.
public struct AttemptRecord: Sendable, Equatable {
    public let jobID: String
    public let attempt: Int
    public let routeStep: Int
    public let channel: String
    public let provider: String?
    public let startedAt: Int64
    public let finishedAt: Int64
    public let outcome: AttemptOutcome
    public let httpStatus: Int?
    public let smtpStatus: Int?
    public let providerMessageID: String?
    public let errorClass: String?
    public let errorMessage: String?
    public let latencyMillis: Int64
}
