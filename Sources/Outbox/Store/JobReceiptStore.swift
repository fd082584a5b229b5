import RelayCore

/// Delivery receipts (Twilio status callbacks, Meta status webhooks): each is matched to the
/// attempt that got its provider message id, recorded as an event row and may move the job.
/// Receipts go through the store's single writer, batched with everything else; a repeat of the
/// same receipt (same message, status and error code) is recognised and changes nothing.
public protocol JobReceiptStore: JobReceiptReader {
    /// Finds the attempt of `receipt.provider` that got `receipt.providerMessageID`, lets `decide`
    /// (pure and quick: it runs inside the writer's transaction) say what the receipt does to the
    /// job, applies that and records the receipt, atomically. The completion runs on `executor`
    /// (the request's event loop) once committed; without one, on the writer thread.
    func recordReceipt(
        _ receipt: Receipt, executor: (any CompletionExecutor)?,
        decide: @escaping @Sendable (ReceiptTarget) -> ReceiptTransition,
        completion: @escaping @Sendable (Result<ReceiptResult, OutboxError>) -> Void)
}

/// Reading receipts (the admin API, `jobs show`): no secret, no recipient.
public protocol JobReceiptReader: AnyObject, Sendable {
    /// The job's receipt events, oldest first.
    func receipts(jobID: String) throws(OutboxError) -> [ReceiptRecord]
}

/// What a receipt says, reduced to what delivery acts on.
public enum ReceiptKind: String, Sendable, CaseIterable, Codable {
    /// queued, accepted, sending, sent: on its way.
    case progress
    /// delivered or read.
    case delivered
    /// failed, undelivered.
    case failed
    /// No delivered receipt within `fallback_after_ms` (recorded by the store, never received).
    case timeout
}

/// One receipt as received. `providerStatus` and `errorCode` are the provider's own words, checked
/// to be short tokens before they get here (no free text: it could echo the recipient).
public struct Receipt: Sendable, Equatable {
    /// The configured provider name the receipt came for (the URL's `{provider}`).
    public var provider: String
    public var providerMessageID: String
    public var kind: ReceiptKind
    public var providerStatus: String
    public var errorCode: String?
    public var receivedAt: Int64

    public init(
        provider: String, providerMessageID: String, kind: ReceiptKind, providerStatus: String,
        errorCode: String? = nil, receivedAt: Int64
    ) {
        self.provider = provider
        self.providerMessageID = providerMessageID
        self.kind = kind
        self.providerStatus = providerStatus
        self.errorCode = errorCode
        self.receivedAt = receivedAt
    }
}

/// The job a receipt is about, as the store found it, for the decision (built by the stores with
/// the memberwise initializer).
public struct ReceiptTarget: Sendable, Equatable {
    public let jobID: String
    public let status: JobStatus
    /// The job's channel (its ladder) and current rung.
    public let channel: String
    public let routeStep: Int
    /// The rung of the attempt the receipt is for (older than `routeStep` once the job moved on).
    public let attemptRouteStep: Int
    public let createdAt: Int64
    public let expiresAt: Int64
    /// Whether the sealed payload is still there (a resend is possible).
    public let hasPayload: Bool

}

/// What a receipt does to its job.
public enum ReceiptTransition: Sendable, Equatable {
    /// Recorded only.
    case none
    /// Status `delivered`, payload erased, any lease or fallback dropped. Applied from every
    /// status but `delivered` itself (a late receipt of an older attempt still tells the truth).
    case delivered
    /// Back to `queued` on rung `step` at `runAt` (the same sealed code is sent again).
    case nextRoute(step: Int, runAt: Int64)
    /// Status `undelivered`, payload erased; `reason` kept in `last_error`.
    case undelivered(reason: String)

    /// `none`, `delivered`, `next_route` or `undelivered` (the receipts row's `effect`).
    public var effect: String {
        switch self {
        case .none: "none"
        case .delivered: "delivered"
        case .nextRoute: "next_route"
        case .undelivered: "undelivered"
        }
    }
}

/// How the store took a receipt.
public enum ReceiptResult: Sendable, Equatable {
    /// No attempt of that provider got this message id (or its job is gone): nothing stored.
    case unknownMessage
    /// The same receipt was recorded before: nothing changed.
    case duplicate(jobID: String)
    /// Recorded, with what it did. `createdAt`: the job's acceptance time (latency to delivered).
    case recorded(jobID: String, transition: ReceiptTransition, createdAt: Int64)
}

/// One receipts row, for operators (built by the stores with the memberwise initializer).
public struct ReceiptRecord: Sendable, Equatable {
    public let jobID: String
    public let attempt: Int
    public let provider: String
    public let providerMessageID: String
    public let kind: ReceiptKind
    public let providerStatus: String
    public let errorCode: String?
    public let receivedAt: Int64
    public let effect: String
}
