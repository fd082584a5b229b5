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

extension SQLiteOutbox: KeyResealStore {
    public func resealOldPayloads(batchSize: Int = 100, pause: () -> Void = {}) throws(OutboxError) -> ResealProgress {
        var progress = ResealProgress()
        var after = ""
        let header = keys.currentHeader
        let keys = self.keys
        while true {
            let cursor = after
            let batch = try writer.perform { ctx throws(SQLiteError) in
                let db = try ctx.connection()
                let rows = try db.withStatement(KeySQL.oldPayloads) { s throws(SQLiteError) in
                    s.bind(header, to: ":header")
                    s.bind(cursor, to: ":after")
                    s.bind(batchSize, to: ":limit")
                    var out: [(String, [UInt8])] = []
                    while try s.step() { out.append((s.string(0), s.blob(1) ?? [])) }
                    return out
                }
                var done = 0, unreadable = 0
                for (id, old) in rows {
                    guard var plain = try? keys.open(old, associatedData: Array(id.utf8)) else {
                        unreadable += 1
                        continue
                    }
                    defer { Payload.wipe(&plain) }
                    guard let new = try? keys.seal(plain, associatedData: Array(id.utf8)) else { continue }
                    done += try db.run(KeySQL.replacePayload) { s in
                        s.bind(new, to: ":new")
                        s.bind(id, to: ":id")
                        s.bind(old, to: ":old")
                    }
                }
                return (last: rows.last?.0, done: done, unreadable: unreadable)
            }.get()
            progress.resealed += batch.done
            progress.unreadable += batch.unreadable
            guard let last = batch.last else { break }
            after = last
            pause()
        }
        progress.left = try payloadsUnderOlderKeys()
        if progress.resealed > 0 || progress.left > 0 {
            logger.info(
                "outbox payloads re-sealed under the current data key",
                [
                    "key_id": .string(keys.current.keyIDHex), "resealed": .int(Int64(progress.resealed)),
                    "unreadable": .int(Int64(progress.unreadable)), "left": .int(Int64(progress.left)),
                ])
        }
        return progress
    }

    /// Jobs whose payload is not (yet) sealed under the current key.
    public func payloadsUnderOlderKeys() throws(OutboxError) -> Int {
        let header = keys.currentHeader
        return try reader.read { db throws(SQLiteError) in
            try db.withStatement(KeySQL.countOldPayloads) { s throws(SQLiteError) in
                s.bind(header, to: ":header")
                return try s.step() ? s.int(0) : 0
            }
        }
    }
}

/// SQL of re-sealing: a payload is under the current key when it starts with its 12-byte header.
enum KeySQL {
    static let oldPayloads = """
        SELECT id, payload FROM jobs
        WHERE payload IS NOT NULL AND status IN ('queued', 'dead') AND substr(payload, 1, 12) <> :header AND id > :after
        ORDER BY id LIMIT :limit
        """
    /// Only if the payload is still the one read (a job claimed meanwhile keeps its payload).
    static let replacePayload = "UPDATE jobs SET payload = :new WHERE id = :id AND payload = :old AND status IN ('queued', 'dead')"
    static let countOldPayloads = "SELECT count(*) FROM jobs WHERE payload IS NOT NULL AND substr(payload, 1, 12) <> :header"
}
