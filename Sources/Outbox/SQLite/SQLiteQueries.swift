/// The queries of the SQLite store, on its read-only connection (never behind the writer's
/// batches): shared by `SQLiteOutbox` and `SQLiteReadOnlyStore`. Nothing returned holds a secret
/// or a recipient.
struct SQLiteQueries: StoreQueries {
    let reader: ReadConnection
    let options: OutboxOptions

    func job(id: String) throws(OutboxError) -> JobRecord? {
        try reader.read { db throws(SQLiteError) in
            try db.withStatement(OperationsSQL.job) { s throws(SQLiteError) in
                s.bind(id, to: ":id")
                return try s.step() ? SQLiteRows.jobRecord(s) : nil
            }
        }
    }

    func jobs(matching f: JobFilter) throws(OutboxError) -> [JobRecord] {
        guard f.limit > 0 else { return [] }
        let limit = min(f.limit, options.maxListLimit)
        return try reader.rows(
            OperationsSQL.list,
            bind: { s in
                s.bind(f.status?.rawValue, to: ":status")
                s.bind(f.channel, to: ":channel")
                s.bind(f.kind?.rawValue, to: ":kind")
                s.bind(f.createdFrom, to: ":created_from")
                s.bind(f.createdBefore, to: ":created_before")
                s.bind(f.beforeID, to: ":before_id")
                s.bind(f.recipientHash, to: ":recipient_hash")
                s.bind(limit, to: ":limit")
            }, row: SQLiteRows.jobRecord)
    }

    func attempts(jobID: String) throws(OutboxError) -> [AttemptRecord] {
        try reader.rows(OperationsSQL.attempts, bind: { $0.bind(jobID, to: ":job_id") }, row: SQLiteRows.attemptRecord)
    }

    func countsByStatus(channel: String? = nil) throws(OutboxError) -> [JobStatus: Int] {
        let counts = try reader.rows(StatsSQL.countsByStatus, bind: { $0.bind(channel, to: ":channel") }) { s in
            JobStatus(rawValue: s.string(0)).map { ($0, s.int(1)) }
        }
        var out = Dictionary(uniqueKeysWithValues: JobStatus.allCases.map { ($0, 0) })
        for (status, n) in counts { out[status] = n }
        return out
    }

    /// Attempts finished at or after `since`, grouped by channel, provider and outcome, with latency
    /// percentiles. Reads at most `OutboxOptions.maxStatisticsRows` attempts (the newest).
    func attemptSummary(since: Int64) throws(OutboxError) -> [AttemptSummary] {
        let cap = options.maxStatisticsRows
        let rows = try reader.rows(
            StatsSQL.attemptLatencies,
            bind: { s in
                s.bind(since, to: ":since")
                s.bind(cap, to: ":limit")
            }, row: { s in (s.string(0), s.optionalString(1), s.string(2), s.int64(3)) })
        return AttemptSummary.grouped(rows)
    }

    /// The newest attempts that did not end in `sent`, newest first.
    func recentFailures(limit: Int) throws(OutboxError) -> [AttemptRecord] {
        let limit = min(max(limit, 0), options.maxListLimit)
        return try reader.rows(StatsSQL.recentFailures, bind: { $0.bind(limit, to: ":limit") }, row: SQLiteRows.attemptRecord)
    }

    func attemptCounts(since: Int64) throws(OutboxError) -> [AttemptCount] {
        try reader.rows(StatsSQL.attemptCounts, bind: { $0.bind(since, to: ":since") }) { s in
            AttemptOutcome(rawValue: s.string(2)).map {
                AttemptCount(channel: s.string(0), provider: s.string(1), outcome: $0, count: s.int(3))
            }
        }
    }

    func deliveryLatency(since: Int64) throws(OutboxError) -> LatencySummary {
        try reader.read { db throws(SQLiteError) in
            let n = try db.withStatement(StatsSQL.sentCount) { s throws(SQLiteError) in
                s.bind(since, to: ":since")
                return try s.step() ? s.int(0) : 0
            }
            guard n > 0 else { return LatencySummary(count: 0, p50: nil, p90: nil, p99: nil, max: nil) }
            func at(_ q: Double) throws(SQLiteError) -> Int64? {
                try db.withStatement(StatsSQL.sentLatencyAt) { s throws(SQLiteError) in
                    s.bind(since, to: ":since")
                    s.bind(Int64(min(n - 1, Int(Double(n - 1) * q + 0.5))), to: ":offset")
                    return try s.step() ? s.optionalInt64(0) : nil
                }
            }
            return LatencySummary(count: n, p50: try at(0.5), p90: try at(0.9), p99: try at(0.99), max: try at(1.0))
        }
    }

    func attemptsPerMinute(since: Int64) throws(OutboxError) -> [MinuteCount] {
        try reader.rows(StatsSQL.attemptsPerMinute, bind: { $0.bind(since, to: ":since") }) { s in
            AttemptOutcome(rawValue: s.string(1)).map { MinuteCount(minute: s.int64(0), outcome: $0, count: s.int(2)) }
        }
    }

    func sentLatencyHistogram(since: Int64) throws(OutboxError) -> LatencyHistogram {
        try latencyHistogram(StatsSQL.sentLatencyHistogram, since: since)
    }

    func deliveredLatencyHistogram(since: Int64) throws(OutboxError) -> LatencyHistogram? {
        try latencyHistogram(StatsSQL.deliveredLatencyHistogram, since: since)
    }

    private func latencyHistogram(_ sql: String, since: Int64) throws(OutboxError) -> LatencyHistogram {
        let buckets = try reader.rows(sql, bind: { $0.bind(since, to: ":since") }) { s in (s.int(0), s.int(1)) }
        var counts = Array(repeating: 0, count: LatencyHistogram.boundsMillis.count + 1)
        for (b, n) in buckets where counts.indices.contains(b) { counts[b] = n }
        return LatencyHistogram(counts: counts)
    }

    func oldestQueued() throws(OutboxError) -> [String: Int64] {
        let pairs = try reader.rows(StatsSQL.oldestQueued) { s in (s.string(0), s.int64(1)) }
        return Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    func receipts(jobID: String) throws(OutboxError) -> [ReceiptRecord] {
        try reader.rows(ReceiptSQL.list, bind: { $0.bind(jobID, to: ":job_id") }) { s throws(SQLiteError) in
            let code = s.string(6)
            return ReceiptRecord(
                jobID: s.string(0), attempt: s.int(1), provider: s.string(2), providerMessageID: s.string(3),
                kind: ReceiptKind(rawValue: s.string(4)) ?? .progress, providerStatus: s.string(5),
                errorCode: code.isEmpty ? nil : code, receivedAt: s.int64(7), effect: s.string(8))
        }
    }
}
