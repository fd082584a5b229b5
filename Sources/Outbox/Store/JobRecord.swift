/// A job as operators see it: no secret, recipient masked.
public struct JobRecord: Sendable, Equatable {
    public let id: String
    public let kind: JobKind
    public let channel: String
    public let status: JobStatus
    public let attempts: Int
    public let provider: String?
    public let lastError: String?
    public let createdAt: Int64
    public let updatedAt: Int64
    public let runAt: Int64
    public let expiresAt: Int64
    public let sentAt: Int64?
    public let recipientMasked: String
    public let routeStep: Int
    public let leaseUntil: Int64?
    /// Whether the sealed secret is still stored (false once sent or expired).
    public let hasPayload: Bool
    public let language: String?
    public let app: String?
}

/// A filter for listing jobs, newest first. Nil fields do not filter.
public struct JobFilter: Sendable, Equatable {
    public var status: JobStatus?
    public var channel: String?
    public var kind: JobKind?
    /// `created_at >= createdFrom`.
    public var createdFrom: Int64?
    /// `created_at < createdBefore`.
    public var createdBefore: Int64?
    /// Only jobs whose id sorts before this one (the next page after the last id seen).
    public var beforeID: String?
    /// Jobs of one recipient (the same HMAC the job was enqueued with). Not indexed: combine it
    /// with a `createdFrom` window on a large table.
    public var recipientHash: [UInt8]?
    public var limit: Int

    public init(
        status: JobStatus? = nil, channel: String? = nil, kind: JobKind? = nil,
        createdFrom: Int64? = nil, createdBefore: Int64? = nil, beforeID: String? = nil,
        recipientHash: [UInt8]? = nil, limit: Int = 100
    ) {
        self.status = status
        self.channel = channel
        self.kind = kind
        self.createdFrom = createdFrom
        self.createdBefore = createdBefore
        self.beforeID = beforeID
        self.recipientHash = recipientHash
        self.limit = limit
    }
}
