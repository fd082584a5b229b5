import RelayCore
import RelayCrypto

/// The sealed payload of a job: recipient and secret, encoded then sealed with AES-256-GCM under
/// the ring's current data key, with the job id as associated data (a payload cannot be moved to
/// another job) and the key id in front (`KeyRing`: the header is authenticated too).
/// Plaintext layout: version(1) = 1 | recipient length (2, big-endian) | recipient | secret.
enum Payload {
    static let version: UInt8 = 1

    static func seal(recipient: String, secret: [UInt8], jobID: String, key: KeyRing) throws(CryptoError) -> [UInt8] {
        let r = Array(recipient.utf8)
        precondition(r.count <= Int(UInt16.max))
        var plain = [UInt8]()
        plain.reserveCapacity(3 + r.count + secret.count)
        plain.append(version)
        plain.append(UInt8(r.count >> 8))
        plain.append(UInt8(r.count & 0xFF))
        plain.append(contentsOf: r)
        plain.append(contentsOf: secret)
        defer { wipe(&plain) }
        return try key.seal(plain, associatedData: Array(jobID.utf8))
    }

    /// The recipient and secret, or nil when the payload does not open under the ring for this job.
    static func open(_ sealed: [UInt8], jobID: String, key: KeyRing) -> (recipient: String, secret: [UInt8])? {
        guard var plain = try? key.open(sealed, associatedData: Array(jobID.utf8)) else { return nil }
        defer { wipe(&plain) }
        guard plain.count >= 3, plain[0] == version else { return nil }
        let n = Int(plain[1]) << 8 | Int(plain[2])
        guard plain.count >= 3 + n else { return nil }
        return (String(decoding: plain[3..<(3 + n)], as: UTF8.self), Array(plain[(3 + n)...]))
    }

    /// Best-effort zeroing of a plaintext buffer before it is released.
    static func wipe(_ bytes: inout [UInt8]) {
        for i in bytes.indices { bytes[i] = 0 }
    }
}

extension Payload {
    /// A new job as both stores' writers take it (`enqueue`): its recipient and secret sealed into
    /// `payload` under `id`, and the row with them cleared, so the clear values go no further. A
    /// seal that fails is logged and answered `.unavailable` through `completion`; then nil.
    static func sealJob(
        _ job: NewJob, id: String, keys: KeyRing, logger: Logger,
        completion: (Result<EnqueueResult, OutboxError>) -> Void
    ) -> (row: NewJob, payload: [UInt8])? {
        let payload: [UInt8]
        do {
            payload = try seal(recipient: job.recipient, secret: job.secret, jobID: id, key: keys)
        } catch {
            logger.error("outbox seal failed", ["error": .string(error.description)])
            completion(.failure(.unavailable(error.description)))
            return nil
        }
        var row = job
        row.recipient = ""
        row.secret = []
        return (row, payload)
    }
}
