import RelayCore
import RelayCrypto

/// The HMAC keys the outbox's lookup columns use, derived from the data key, so the webhook, the
/// operator tools and the store agree on them: `recipient_hash` (find a person's jobs without
/// storing the address) and `dedupe_key` (a repeat of the same OTP to the same recipient).
public struct OutboxKeys: Sendable {
    private let recipientKey: [UInt8]
    private let dedupeKey: [UInt8]

    public init(dataKey: DataKey) {
        recipientKey = dataKey.derive(label: "recipient-hash")
        dedupeKey = dataKey.derive(label: "dedupe")
    }

    /// HMAC of a normalized recipient.
    public func recipientHash(_ normalizedRecipient: String) -> [UInt8] {
        Crypto.hmacSHA256(key: recipientKey, data: Array(normalizedRecipient.utf8))
    }

    /// HMAC of (channel, normalized recipient, secret), fields separated by NUL (none can hold one).
    public func dedupeKey(channel: String, recipient: String, secret: [UInt8]) -> [UInt8] {
        var message = Array(channel.utf8)
        message.append(0)
        message.append(contentsOf: recipient.utf8)
        message.append(0)
        message.append(contentsOf: secret)
        defer { for i in message.indices { message[i] = 0 } }
        return Crypto.hmacSHA256(key: dedupeKey, data: message)
    }
}

extension NewJob {
    /// An OTP job with its recipient hash and dedupe key computed under `keys`.
    public static func otp(channel: Channel, recipient: String, otp: String, keys: OutboxKeys,
                           dedupeWindowMillis: Int64, createdAt: Int64, expiresAt: Int64,
                           language: String? = nil, app: String? = nil) -> NewJob {
        let secret = Array(otp.utf8)
        return NewJob(kind: .otp, channel: channel.rawValue, recipient: recipient,
                      recipientMasked: Recipient.mask(recipient), recipientHash: keys.recipientHash(recipient),
                      secret: secret,
                      dedupeKey: dedupeWindowMillis > 0 ? keys.dedupeKey(channel: channel.rawValue, recipient: recipient, secret: secret) : nil,
                      dedupeWindowMillis: dedupeWindowMillis, createdAt: createdAt, expiresAt: expiresAt,
                      language: language, app: app)
    }
}
