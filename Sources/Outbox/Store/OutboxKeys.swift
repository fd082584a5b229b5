import RelayCore
import RelayCrypto

/// The HMAC keys the outbox's lookup columns use, derived from the (index) data key, so the webhook, the
/// operator tools and the store agree on them: `recipient_hash` (find a person's jobs without
/// storing the address) and `dedupe_key` (a repeat of the same OTP to the same recipient).
public struct OutboxKeys: Sendable {
    private let recipientKey: HMACKey
    private let dedupeKey: HMACKey

    public init(dataKey: DataKey) {
        recipientKey = HMACKey(dataKey.derive(label: "recipient-hash"))
        dedupeKey = HMACKey(dataKey.derive(label: "dedupe"))
    }

    /// Derived from the ring's index key, which a rotation keeps: a repeat of an OTP posted
    /// before a rotation is still a duplicate, and a recipient's jobs are still found.
    public init(keys: KeyRing) { self.init(dataKey: keys.index) }

    /// HMAC of a normalized recipient.
    public func recipientHash(_ normalizedRecipient: String) -> [UInt8] {
        recipientKey.mac(normalizedRecipient)
    }

    /// HMAC of (channel, normalized recipient, secret), fields separated by NUL (none can hold one).
    /// The parts are fed to the MAC one by one: the secret is not copied into another buffer.
    public func dedupeKey(channel: String, recipient: String, secret: [UInt8]) -> [UInt8] {
        var channel = channel, recipient = recipient
        let nul: [UInt8] = [0]
        return dedupeKey.mac { update in
            channel.withUTF8 { update(UnsafeRawBufferPointer($0)) }
            nul.withUnsafeBytes(update)
            recipient.withUTF8 { update(UnsafeRawBufferPointer($0)) }
            nul.withUnsafeBytes(update)
            secret.withUnsafeBytes(update)
        }
    }
}

extension NewJob {
    /// An OTP job with its recipient hash and dedupe key computed under `keys`.
    public static func otp(
        channel: Channel, recipient: String, otp: String, keys: OutboxKeys,
        dedupeWindow: Duration, createdAt: Int64, expiresAt: Int64,
        language: String? = nil, app: String? = nil
    ) -> NewJob {
        let secret = Array(otp.utf8)
        return NewJob(
            kind: .otp, channel: channel.rawValue, recipient: recipient,
            recipientMasked: Recipient.mask(recipient), recipientHash: keys.recipientHash(recipient),
            secret: secret,
            dedupeKey: dedupeWindow > .zero ? keys.dedupeKey(channel: channel.rawValue, recipient: recipient, secret: secret) : nil,
            dedupeWindow: dedupeWindow, createdAt: createdAt, expiresAt: expiresAt,
            language: language, app: app)
    }
}
