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

/// Tries of one channel and provider with one outcome, over a time window.
public struct AttemptCount: Sendable, Equatable {
    public let channel: String
    public let provider: String
    public let outcome: AttemptOutcome
    public let count: Int
}

/// Accept → provider-accepted latency percentiles (milliseconds); nil when nothing was sent.
public struct LatencySummary: Sendable, Equatable {
    public let count: Int
    public let p50: Int64?
    public let p90: Int64?
    public let p99: Int64?
    public let max: Int64?
}

extension AttemptSummary {
    /// Attempts (channel, provider, outcome, latency) grouped with their latency percentiles, in
    /// (channel, provider, outcome) order: what both stores' `attemptSummary(since:)` return.
    static func grouped(_ rows: [(String, String?, String, Int64)]) -> [AttemptSummary] {
        struct Key: Hashable {
            let channel: String
            let provider: String?
            let outcome: String
        }
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
}
