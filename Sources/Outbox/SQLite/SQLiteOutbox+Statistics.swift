/// Statistics (`JobStatisticsStore`): aggregates on the read-only connection (`SQLiteQueries`)
/// for the status page and `/metrics`; nothing here holds a secret or a recipient.
extension SQLiteOutbox {
    public func countsByStatus(channel: String? = nil) throws(OutboxError) -> [JobStatus: Int] {
        try queries.countsByStatus(channel: channel)
    }

    public func attemptSummary(since: Int64) throws(OutboxError) -> [AttemptSummary] {
        try queries.attemptSummary(since: since)
    }

    public func recentFailures(limit: Int) throws(OutboxError) -> [AttemptRecord] {
        try queries.recentFailures(limit: limit)
    }

    public func attemptCounts(since: Int64) throws(OutboxError) -> [AttemptCount] {
        try queries.attemptCounts(since: since)
    }

    public func deliveryLatency(since: Int64) throws(OutboxError) -> LatencySummary {
        try queries.deliveryLatency(since: since)
    }

    public func attemptsPerMinute(since: Int64) throws(OutboxError) -> [MinuteCount] {
        try queries.attemptsPerMinute(since: since)
    }

    public func sentLatencyHistogram(since: Int64) throws(OutboxError) -> LatencyHistogram {
        try queries.sentLatencyHistogram(since: since)
    }

    public func deliveredLatencyHistogram(since: Int64) throws(OutboxError) -> LatencyHistogram? {
        try queries.deliveredLatencyHistogram(since: since)
    }

    public func oldestQueued() throws(OutboxError) -> [String: Int64] { try queries.oldestQueued() }
}
