import RelayCore

/// What a job carries: an OTP to deliver, or KYC data to push to SQEKYC.
public enum JobKind: String, Sendable, CaseIterable, Codable {
    case otp
    case kyc
}

/// The lifecycle of a job (docs/design.md §4).
public enum JobStatus: String, Sendable, CaseIterable, Codable {
    /// Ready to be claimed at `run_at`.
    case queued
    /// Leased by a worker (fencing token, `lease_until`).
    case sending
    /// A provider accepted it. Without receipts the payload is erased; with receipts (a provider
    /// sending status callbacks) it is kept while a failure receipt can still trigger a resend.
    case sent
    /// A receipt said the message was delivered (or read); the payload is erased. Never moves back.
    case delivered
    /// A failure receipt with no rung left, or after the OTP's validity; the payload is erased.
    case undelivered
    /// Given up; the reason is in `last_error`, the payload is kept until expiry for replay.
    case dead
    /// Its validity passed before it could be sent; the payload is erased.
    case expired
}

/// The channel stored for KYC jobs (`kind = kyc`).
public let kycChannelName = "sqekyc"

/// A job to enqueue. The recipient and secret are sealed into the payload (never stored in clear);
/// only `recipientMasked` and the HMAC `recipientHash` are stored as such.
public struct NewJob: Sendable {
    public var kind: JobKind
    /// `email`, `sms`, `whatsapp`, or `sqekyc` for KYC jobs.
    public var channel: String
    /// The normalized recipient (E.164 number or address). Sealed.
    public var recipient: String
    /// `Recipient.mask(recipient)`: what logs, views and the status page show.
    public var recipientMasked: String
    /// HMAC of the recipient under a subkey of the data key, for lookups.
    public var recipientHash: [UInt8]
    /// The OTP digits, or KYC JSON. Sealed.
    public var secret: [UInt8]
    /// HMAC of (channel, recipient, otp): a repeat inside `dedupeWindow` is the same job.
    public var dedupeKey: [UInt8]?
    public var dedupeWindow: Duration
    public var createdAt: Int64
    public var runAt: Int64
    public var expiresAt: Int64
    public var language: String?
    public var app: String?

    public init(
        kind: JobKind, channel: String, recipient: String, recipientMasked: String,
        recipientHash: [UInt8], secret: [UInt8], dedupeKey: [UInt8]? = nil,
        dedupeWindow: Duration = .zero, createdAt: Int64, runAt: Int64? = nil, expiresAt: Int64,
        language: String? = nil, app: String? = nil
    ) {
        self.kind = kind
        self.channel = channel
        self.recipient = recipient
        self.recipientMasked = recipientMasked
        self.recipientHash = recipientHash
        self.secret = secret
        self.dedupeKey = dedupeKey
        self.dedupeWindow = dedupeWindow
        self.createdAt = createdAt
        self.runAt = runAt ?? createdAt
        self.expiresAt = expiresAt
        self.language = language
        self.app = app
    }

    /// An OTP job for a RelayCore channel.
    public static func otp(
        channel: Channel, recipient: String, recipientHash: [UInt8], otp: String,
        dedupeKey: [UInt8]?, dedupeWindow: Duration, createdAt: Int64,
        expiresAt: Int64, language: String? = nil, app: String? = nil
    ) -> NewJob {
        NewJob(
            kind: .otp, channel: channel.rawValue, recipient: recipient,
            recipientMasked: Recipient.mask(recipient), recipientHash: recipientHash,
            secret: Array(otp.utf8), dedupeKey: dedupeKey, dedupeWindow: dedupeWindow,
            createdAt: createdAt, expiresAt: expiresAt, language: language, app: app)
    }
}

/// The answer to an enqueue: a new job, or the first job of a repeat inside the dedupe window
/// with its current status.
public struct EnqueueResult: Sendable, Equatable {
    public let id: String
    public let status: JobStatus
    public let duplicate: Bool
}

/// A job leased to a worker, with its payload opened. `token` fences the lease: `finish` only
/// applies while the job still holds it.
public struct ClaimedJob: Sendable {
    public let id: String
    public let kind: JobKind
    public let channel: String
    public let recipient: String
    public let recipientMasked: String
    public let secret: [UInt8]
    /// Tries made before this one.
    public let attempts: Int
    public let routeStep: Int
    public let createdAt: Int64
    public let expiresAt: Int64
    public let language: String?
    public let app: String?
    public let token: Int64
    public let leaseUntil: Int64
}
