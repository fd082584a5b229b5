/// Attempts of one channel and provider with one outcome, over a time window: what the status page
/// and `/metrics` show. Latencies in milliseconds.
public struct AttemptSummary: Sendable, Equatable {
    public let channel: String
    public let provider: String?
    public let outcome: AttemptOutcome
    public let count: Int
    public let p50Millis: Int64
    public let p95Millis: Int64
    public let p99Millis: Int64
    public let maxMillis: Int64
}

extension SQLiteOutbox {
    /// Attempts finished at or after `since`, grouped by channel, provider and outcome, with latency
    /// percentiles. Reads at most `OutboxOptions.maxStatisticsRows` attempts (the newest).
    public func attemptSummary(since: Int64) throws(OutboxError) -> [AttemptSummary] {
        let cap = options.maxStatisticsRows
        let rows = try reader.read { db throws(SQLiteError) in
            try db.withStatement(
                """
                SELECT channel, provider, outcome, latency_ms FROM attempts INDEXED BY attempts_finished
                WHERE finished_at >= ?1 ORDER BY finished_at DESC LIMIT ?2
                """
            ) { s throws(SQLiteError) in
                s.bind(1, since); s.bind(2, cap)
                var out: [(String, String?, String, Int64)] = []
                while try s.step() { out.append((s.string(0), s.optionalString(1), s.string(2), s.int64(3))) }
                return out
            }
        }
        struct Key: Hashable { let channel: String; let provider: String?; let outcome: String }
        var groups: [Key: [Int64]] = [:]
        for r in rows { groups[Key(channel: r.0, provider: r.1, outcome: r.2), default: []].append(r.3) }
        return groups.compactMap { key, values -> AttemptSummary? in
            guard let outcome = AttemptOutcome(rawValue: key.outcome) else { return nil }
            let v = values.sorted()
            func p(_ q: Double) -> Int64 { v[min(v.count - 1, Int((Double(v.count) * q).rounded(.up)) - 1)] }
            return AttemptSummary(
                channel: key.channel, provider: key.provider, outcome: outcome, count: v.count,
                p50Millis: p(0.5), p95Millis: p(0.95), p99Millis: p(0.99), maxMillis: v.last!)
        }.sorted { ($0.channel, $0.provider ?? "", $0.outcome.rawValue) < ($1.channel, $1.provider ?? "", $1.outcome.rawValue) }
    }

    /// The newest attempts that did not end in `sent`, newest first.
    public func recentFailures(limit: Int) throws(OutboxError) -> [AttemptRecord] {
        let limit = min(max(limit, 0), options.maxListLimit)
        return try reader.read { db throws(SQLiteError) in
            try db.withStatement(
                """
                SELECT job_id, attempt, route_step, channel, provider, started_at, finished_at, outcome, http_status,
                       smtp_status, provider_message_id, error_class, error_message, latency_ms
                FROM attempts WHERE outcome <> 'sent' ORDER BY id DESC LIMIT ?1
                """
            ) { s throws(SQLiteError) in
                s.bind(1, limit)
                var out: [AttemptRecord] = []
                while try s.step() { out.append(SQLiteOutbox.attemptRecord(s)) }
                return out
            }
        }
    }

    /// Deletes finished jobs (sent, expired; dead ones too once expired) created before `before`,
    /// with their attempts, at most `limit` per call so the writer is never held long.
    public func purge(createdBefore before: Int64, limit: Int = 1_000) throws(OutboxError) -> Int {
        try writer.perform { ctx throws(SQLiteError) in
            try ctx.connection().run(
                """
                DELETE FROM jobs WHERE id IN (
                    SELECT id FROM jobs INDEXED BY jobs_created
                    WHERE created_at < ?1 AND status IN ('sent', 'expired') LIMIT ?2)
                """
            ) { s in
                s.bind(1, before); s.bind(2, limit)
            }
        }.get()
    }
}
