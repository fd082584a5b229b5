/// Operator writes (`JobOperationsStore`): replay and retention through the writer. The reads are
/// `QueryingStore`'s, on the read-only connection (never behind the writer's batches).
extension SQLiteOutbox {
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
