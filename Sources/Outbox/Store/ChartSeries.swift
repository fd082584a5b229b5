/// Tries finished in one minute with one outcome (the status page's deliveries chart).
public struct MinuteCount: Sendable, Equatable {
    /// The minute's start, epoch ms (a multiple of 60 000).
    public let minute: Int64
    public let outcome: AttemptOutcome
    public let count: Int
}

/// Latencies counted into fixed buckets (the status page's latency charts): `counts[i]` holds
/// those under `LatencyHistogram.boundsMillis[i]` (and at or over the bound before), the last
/// count those at or over the last bound.
public struct LatencyHistogram: Sendable, Equatable {
    public static let boundsMillis: [Int64] = [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000]
    public let counts: [Int]
    public var total: Int { counts.reduce(0, +) }

    public init(counts: [Int]) {
        precondition(counts.count == Self.boundsMillis.count + 1)
        self.counts = counts
    }

    /// The bucket of a latency.
    public static func bucket(_ millis: Int64) -> Int { boundsMillis.firstIndex { millis < $0 } ?? boundsMillis.count }

    /// The SQL expression of `bucket` for the column `l`, so buckets are counted in the query.
    static var bucketSQL: String {
        "CASE " + boundsMillis.enumerated().map { "WHEN l < \($0.element) THEN \($0.offset)" }.joined(separator: " ")
            + " ELSE \(boundsMillis.count) END"
    }
}
