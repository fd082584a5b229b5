import RelayCore
import RelayCrypto

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
                var done = ResealProgress()
                for (id, old) in rows {
                    guard let new = Payload.reseal(old, jobID: id, keys: keys, progress: &done) else { continue }
                    done.resealed += try db.run(KeySQL.replacePayload) { s in
                        s.bind(new, to: ":new")
                        s.bind(id, to: ":id")
                        s.bind(old, to: ":old")
                    }
                }
                return (last: rows.last?.0, done: done)
            }.get()
            progress.resealed += batch.done.resealed
            progress.unreadable += batch.done.unreadable
            guard let last = batch.last else { break }
            after = last
            pause()
        }
        progress.left = try payloadsUnderOlderKeys()
        progress.log(logger, keys: keys)
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
