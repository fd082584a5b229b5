import RelayCore
import RelayCrypto

/// Re-sealing under the current key after a rotation, as `SQLiteOutbox` does: queued and dead
/// jobs' payloads still under an older key, in batches on a pooled connection. Each batch is one
/// `UPDATE` that replaces a payload only if it is still the one read (a job claimed meanwhile, or
/// re-sealed by another node starting at the same time, keeps its payload).
extension PostgreSQLOutbox: KeyResealStore {
    public func resealOldPayloads(batchSize: Int = 100, pause: () -> Void = {}) throws(OutboxError) -> ResealProgress {
        var progress = ResealProgress()
        var after = ""
        let header = PG.bytea(keys.currentHeader)
        while true {
            let rows = try queries.run(PGKeySQL.oldPayloads, [header, after, String(batchSize)])
            guard rows.count > 0 else { break }
            var ids: [String?] = [], old: [String?] = [], new: [String?] = []
            for i in 0..<rows.count {
                let id = rows.string(i, 0)
                guard let sealed = rows.bytes(i, 1) else {
                    progress.unreadable += 1
                    continue
                }
                guard let resealed = Payload.reseal(sealed, jobID: id, keys: keys, progress: &progress) else { continue }
                ids.append(id)
                old.append(PG.bytea(sealed))
                new.append(PG.bytea(resealed))
            }
            if !ids.isEmpty {
                progress.resealed += try queries.run(PGKeySQL.replacePayloads, [PG.array(ids), PG.array(old), PG.array(new)]).affected
            }
            after = rows.string(rows.count - 1, 0)
            pause()
        }
        progress.left = try queries.run(PGKeySQL.countOldPayloads, [header]).int(0, 0)
        progress.log(logger, keys: keys)
        return progress
    }
}

/// SQL of re-sealing: a payload is under the current key when it starts with its 12-byte header.
enum PGKeySQL {
    static let oldPayloads = """
        SELECT id, payload FROM jobs
        WHERE payload IS NOT NULL AND status IN ('queued', 'dead') AND substr(payload, 1, 12) <> $1::bytea AND id > $2::text
        ORDER BY id LIMIT $3::integer
        """
    static let replacePayloads = """
        UPDATE jobs j SET payload = u.new
        FROM unnest($1::text[], $2::bytea[], $3::bytea[]) AS u(id, old, new)
        WHERE j.id = u.id AND j.payload = u.old AND j.status IN ('queued', 'dead')
        """
    static let countOldPayloads = "SELECT count(*) FROM jobs WHERE payload IS NOT NULL AND substr(payload, 1, 12) <> $1::bytea"
}
