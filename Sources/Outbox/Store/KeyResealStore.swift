import RelayCore
import RelayCrypto

/// What one re-sealing pass did.
public struct ResealProgress: Sendable, Equatable {
    /// Payloads now sealed under the current key.
    public var resealed = 0
    /// Payloads that open with no key of the ring (left as they are, reported).
    public var unreadable = 0
    /// Payloads still under an older key (or from before key ids) after the pass: jobs being sent
    /// when it ran, and unreadable ones. An older key may leave the ring only when this is 0.
    public var left = 0
}

/// Re-sealing under the current key after a rotation (`otp-relay keys rotate`).
public protocol KeyResealStore: AnyObject, Sendable {
    /// Re-seals, in batches of `batchSize` through the writer, every queued or dead job's payload
    /// still under an older key; jobs being sent are left (their payload goes when they are sent).
    /// `pause` runs between batches (the service yields to its own writes there).
    func resealOldPayloads(batchSize: Int, pause: () -> Void) throws(OutboxError) -> ResealProgress
}

extension ResealProgress {
    /// Logs the pass when it re-sealed anything or left payloads under older keys.
    func log(_ logger: Logger, keys: KeyRing) {
        guard resealed > 0 || left > 0 else { return }
        logger.info(
            "outbox payloads re-sealed under the current data key",
            [
                "key_id": .string(keys.current.keyIDHex), "resealed": .int(Int64(resealed)),
                "unreadable": .int(Int64(unreadable)), "left": .int(Int64(left)),
            ])
    }
}

extension Payload {
    /// Job `jobID`'s sealed payload opened with the ring and sealed again under its current key;
    /// nil when no key of the ring opens it (counted in `progress.unreadable`), when it is under the
    /// ring's staged key (a node that promoted it sealed it: moving it back to an older key would undo
    /// the rotation; counted in `left`), or the seal failed (the payload stays as it is).
    static func reseal(_ sealed: [UInt8], jobID: String, keys: KeyRing, progress: inout ResealProgress) -> [UInt8]? {
        if keys.isUnderStagedKey(sealed) { return nil }
        let associatedData = Array(jobID.utf8)
        guard var plain = try? keys.open(sealed, associatedData: associatedData) else {
            progress.unreadable += 1
            return nil
        }
        defer { wipe(&plain) }
        return try? keys.seal(plain, associatedData: associatedData)
    }
}

/// The data key check's rules, for both stores (`DataKeyCheck`, `PGDataKeyCheck`: each reads the
/// recorded fingerprints and one payload of each key id with its own SQL, then records the ring).
enum DataKeyRules {
    /// Whether a start records the ring's current key over `stored`: not when `stored` is the
    /// ring's staged key (another node already promoted it; the database keeps the newest key).
    static func records(current stored: String?, keys: KeyRing) -> Bool {
        stored != keys.current.fingerprint && (stored == nil || stored != keys.staged?.fingerprint)
    }

    /// The recorded fingerprints against the ring: the recorded current key must be one the ring
    /// opens with, and the recorded index key the ring's index key.
    static func checkRecorded(current stored: String?, index: String?, keys: KeyRing) throws(OutboxError) {
        if let stored, !keys.openingKeys.contains(where: { $0.fingerprint == stored }) {
            throw OutboxError.keyMismatch(stored: stored, given: keys.current.fingerprint)
        }
        if let index, index != keys.index.fingerprint {
            throw OutboxError.indexKeyMismatch(stored: index, given: keys.index.fingerprint)
        }
    }

    /// One payload of the `jobs` jobs of key id `keyID` must open with the ring: a ring that lost
    /// a key its jobs still need is refused, naming the key id and the job count (a database from
    /// before fingerprints, `stored` nil: the key does not match).
    static func checkPayload(
        _ sealed: [UInt8], jobID: String, keyID: String, jobs: Int, keys: KeyRing, stored: String?
    ) throws(OutboxError) {
        guard (try? keys.open(sealed, associatedData: Array(jobID.utf8))) == nil else { return }
        if stored == nil { throw OutboxError.keyMismatch(stored: nil, given: keys.current.fingerprint) }
        throw OutboxError.keyMissing(keyID: keyID, jobs: jobs, ring: keys)
    }
}
