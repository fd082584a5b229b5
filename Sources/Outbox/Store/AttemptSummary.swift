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
