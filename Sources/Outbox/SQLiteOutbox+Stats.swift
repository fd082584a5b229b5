/// Aggregates for the status page and `/metrics` (operators and on-call). Read-only, on the
/// reader connection; nothing here holds a secret or a recipient.
public protocol OutboxStatistics: Sendable {
    /// Tries finished since `since`, per channel, provider and outcome.
    func attemptCounts(since: Int64) throws(OutboxError) -> [AttemptCount]
    /// Accept → provider-accepted latency of jobs sent since `since` (milliseconds).
    func deliveryLatency(since: Int64) throws(OutboxError) -> LatencySummary
    /// The creation time of the oldest queued job per channel.
    func oldestQueued() throws(OutboxError) -> [String: Int64]
}

public struct AttemptCount: Sendable, Equatable {
    public let channel: String
    public let provider: String
    public let outcome: AttemptOutcome
    public let count: Int
}

public struct LatencySummary: Sendable, Equatable {
    public let count: Int
    public let p50: Int64?
    public let p90: Int64?
    public let p99: Int64?
    public let max: Int64?
}

extension SQLiteOutbox: OutboxStatistics {
    public func attemptCounts(since: Int64) throws(OutboxError) -> [AttemptCount] {
        try reader.read { db throws(SQLiteError) in
            try db.withStatement(
                """
                SELECT channel, coalesce(provider, '-'), outcome, count(*) FROM attempts
                WHERE finished_at >= ?1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                """
            ) { s throws(SQLiteError) in
                s.bind(1, since)
                var out: [AttemptCount] = []
                while try s.step() {
                    guard let o = AttemptOutcome(rawValue: s.string(2)) else { continue }
                    out.append(AttemptCount(channel: s.string(0), provider: s.string(1), outcome: o, count: s.int(3)))
                }
                return out
            }
        }
    }

    public func deliveryLatency(since: Int64) throws(OutboxError) -> LatencySummary {
        try reader.read { db throws(SQLiteError) in
            let n = try db.withStatement("SELECT count(*) FROM jobs WHERE status = 'sent' AND sent_at >= ?1") { s throws(SQLiteError) in
                s.bind(1, since)
                return try s.step() ? s.int(0) : 0
            }
            guard n > 0 else { return LatencySummary(count: 0, p50: nil, p90: nil, p99: nil, max: nil) }
            func at(_ q: Double) throws(SQLiteError) -> Int64? {
                try db.withStatement(
                    """
                    SELECT sent_at - created_at AS l FROM jobs WHERE status = 'sent' AND sent_at >= ?1
                    ORDER BY l LIMIT 1 OFFSET ?2
                    """
                ) { s throws(SQLiteError) in
                    s.bind(1, since)
                    s.bind(2, Int64(min(n - 1, Int(Double(n - 1) * q + 0.5))))
                    return try s.step() ? s.optionalInt64(0) : nil
                }
            }
            return LatencySummary(count: n, p50: try at(0.5), p90: try at(0.9), p99: try at(0.99), max: try at(1.0))
        }
    }

    public func oldestQueued() throws(OutboxError) -> [String: Int64] {
        try reader.read { db throws(SQLiteError) in
            try db.withStatement("SELECT channel, min(created_at) FROM jobs WHERE status = 'queued' GROUP BY channel") {
                s throws(SQLiteError) in
                var out: [String: Int64] = [:]
                while try s.step() { out[s.string(0)] = s.int64(1) }
                return out
            }
        }
    }
}
