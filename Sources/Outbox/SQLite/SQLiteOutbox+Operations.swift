/// Operations (`JobOperationsStore`): reads on the read-only connection (never behind the writer's
/// batches), replay and retention through the writer.
extension SQLiteOutbox {
    public func job(id: String) throws(OutboxError) -> JobRecord? {
        try reader.read { db throws(SQLiteError) in
            try db.withStatement(OperationsSQL.job) { s throws(SQLiteError) in
                s.bind(id, to: ":id")
                return try s.step() ? SQLiteRows.jobRecord(s) : nil
            }
        }
    }

    public func jobs(matching f: JobFilter) throws(OutboxError) -> [JobRecord] {
        guard f.limit > 0 else { return [] }
        let limit = min(f.limit, options.maxListLimit)
        return try reader.read { db throws(SQLiteError) in
            try db.withStatement(OperationsSQL.list) { s throws(SQLiteError) in
                s.bind(f.status?.rawValue, to: ":status")
                s.bind(f.channel, to: ":channel")
                s.bind(f.kind?.rawValue, to: ":kind")
                s.bind(f.createdFrom, to: ":created_from")
                s.bind(f.createdBefore, to: ":created_before")
                s.bind(f.beforeID, to: ":before_id")
                s.bind(f.recipientHash, to: ":recipient_hash")
                s.bind(limit, to: ":limit")
                var out: [JobRecord] = []
                while try s.step() { out.append(SQLiteRows.jobRecord(s)) }
                return out
            }
        }
    }

    public func attempts(jobID: String) throws(OutboxError) -> [AttemptRecord] {
        try reader.read { db throws(SQLiteError) in
            try db.withStatement(OperationsSQL.attempts) { s throws(SQLiteError) in
                s.bind(jobID, to: ":job_id")
                var out: [AttemptRecord] = []
                while try s.step() { out.append(SQLiteRows.attemptRecord(s)) }
                return out
            }
        }
    }

    /// Deletes finished jobs (sent, expired; dead ones too once expired) created before `before`,
    /// with their attempts, at most `limit` per call so the writer is never held long.
    public func purge(createdBefore before: Int64, limit: Int = 1_000) throws(OutboxError) -> Int {
        try writer.perform { ctx throws(SQLiteError) in try ctx.purge(createdBefore: before, limit: limit) }.get()
    }

    public func replay(
        ids: [String], actor: String, reason: String,
        now: Int64
    ) throws(OutboxError) -> [(id: String, result: ReplayResult)] {
        let results: [ReplayResult] = try writer.perform(wakes: { (r: [ReplayResult]) in r.contains(.replayed) }) {
            ctx throws(SQLiteError) -> [ReplayResult] in
            var out: [ReplayResult] = []
            for id in ids { out.append(try ctx.replay(id: id, actor: actor, reason: reason, now: now)) }
            return out
        }.get()
        let replayed = results.filter { $0 == ReplayResult.replayed }.count
        logger.info(
            "outbox replay",
            [
                "actor": .string(actor), "requested": .int(Int64(ids.count)),
                "replayed": .int(Int64(replayed)),
            ])
        return zip(ids, results).map { (id: String, r: ReplayResult) in (id: id, result: r) }
    }
}
