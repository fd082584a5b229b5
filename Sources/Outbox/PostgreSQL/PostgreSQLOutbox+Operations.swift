import RelayCore

/// Operator writes on pooled connections (the reads are `QueryingStore`'s, from `PGQueries`).
extension PostgreSQLOutbox {
    /// Deletes sent and expired jobs created before `before` (attempts by cascade), at most
    /// `limit` per call, by the node holding the sweep lock (others delete nothing this call).
    public func purge(createdBefore before: Int64, limit: Int = 1_000) throws(OutboxError) -> Int {
        try queries.run(PGOperationsSQL.purge, [String(before), String(limit)]).int(0, 0)
    }

    public func replay(
        ids: [String], actor: String, reason: String, now: Int64
    ) throws(OutboxError) -> [(id: String, result: ReplayResult)] {
        let p = clockParam(now)
        let results = try withConnection { c throws(PGError) -> [ReplayResult] in
            try c.exec("BEGIN")
            var out: [ReplayResult] = []
            for id in ids {
                let r = try c.exec(PGOperationsSQL.replay, [p, id, actor, reason])
                guard r.count > 0 else {
                    out.append(.notFound)
                    continue
                }
                let status = JobStatus(rawValue: r.string(0, 0)) ?? .dead
                if r.int(0, 3) > 0 {
                    out.append(.replayed)
                } else if status != .dead {
                    out.append(status == .expired ? .expired : .notDead(status))
                } else {
                    out.append(.expired)
                }
            }
            if out.contains(.replayed) { try c.exec(PGSQL.notify) }
            try c.exec("COMMIT")
            return out
        }
        if results.contains(.replayed) { observers.notify() }
        logger.info(
            "outbox replay",
            [
                "actor": .string(actor), "requested": .int(Int64(ids.count)),
                "replayed": .int(Int64(results.filter { $0 == .replayed }.count)),
            ])
        return zip(ids, results).map { (id: $0, result: $1) }
    }
}

/// The PostgreSQL store for reading only (`jobs list`, `jobs show`, `stats`): one pooled
/// connection, no migration, no writer; `replay` and `purge` fail with `.invalidRequest`.
public final class PostgreSQLReadOnlyStore: ReadOnlyJobStore, QueryingStore {
    let pool: PGPool
    let queries: PGQueries

    public init(url: String, options: PostgreSQLOptions = PostgreSQLOptions()) throws(OutboxError) {
        pool = PGPool(conninfo: url, size: 1, applicationName: options.applicationName, waitTimeout: options.poolWait)
        queries = PGQueries(pool: pool, options: options)
        let exists: Bool
        do {
            exists = try queries.run(PGSchemaSQL.migrationsTableExists).bool(0, 0)
        } catch {
            throw .startup("cannot read the PostgreSQL database: \(error)")
        }
        if !exists { throw .startup("no otp-relay schema in the PostgreSQL database (run otp-relay migrate)") }
    }

    public func close() { pool.close() }
}
