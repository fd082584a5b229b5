/// The reads every store answers the same way (`SQLiteQueries` on the SQLite read connection,
/// `PGQueries` on the PostgreSQL pool), shared by a store and its read-only twin. Nothing returned
/// holds a secret or a recipient.
protocol StoreQueries: JobStatisticsQueries {
    func job(id: String) throws(OutboxError) -> JobRecord?
    func jobs(matching f: JobFilter) throws(OutboxError) -> [JobRecord]
    func attempts(jobID: String) throws(OutboxError) -> [AttemptRecord]
    func receipts(jobID: String) throws(OutboxError) -> [ReceiptRecord]
}

/// A store that answers the reads of operations, statistics and receipts from its `queries`
/// (the four stores: each store and its read-only twin).
protocol QueryingStore: JobOperationsStore, JobStatisticsStore, JobReceiptReader {
    associatedtype Queries: StoreQueries
    var queries: Queries { get }
}

extension QueryingStore {
    public func job(id: String) throws(OutboxError) -> JobRecord? { try queries.job(id: id) }
    public func jobs(matching f: JobFilter) throws(OutboxError) -> [JobRecord] { try queries.jobs(matching: f) }
    public func attempts(jobID: String) throws(OutboxError) -> [AttemptRecord] { try queries.attempts(jobID: jobID) }
    public func receipts(jobID: String) throws(OutboxError) -> [ReceiptRecord] { try queries.receipts(jobID: jobID) }

    public func countsByStatus(channel: String? = nil) throws(OutboxError) -> [JobStatus: Int] {
        try queries.countsByStatus(channel: channel)
    }
    public func attemptSummary(since: Int64) throws(OutboxError) -> [AttemptSummary] { try queries.attemptSummary(since: since) }
    public func recentFailures(limit: Int) throws(OutboxError) -> [AttemptRecord] { try queries.recentFailures(limit: limit) }
    public func attemptCounts(since: Int64) throws(OutboxError) -> [AttemptCount] { try queries.attemptCounts(since: since) }
    public func deliveryLatency(since: Int64) throws(OutboxError) -> LatencySummary { try queries.deliveryLatency(since: since) }
    public func attemptsPerMinute(since: Int64) throws(OutboxError) -> [MinuteCount] { try queries.attemptsPerMinute(since: since) }
    public func sentLatencyHistogram(since: Int64) throws(OutboxError) -> LatencyHistogram {
        try queries.sentLatencyHistogram(since: since)
    }
    public func deliveredLatencyHistogram(since: Int64) throws(OutboxError) -> LatencyHistogram? {
        try queries.deliveredLatencyHistogram(since: since)
    }
    public func oldestQueued() throws(OutboxError) -> [String: Int64] { try queries.oldestQueued() }
}

extension ReadOnlyJobStore {
    public func replay(
        ids: [String], actor: String, reason: String, now: Int64
    ) throws(OutboxError) -> [(id: String, result: ReplayResult)] {
        throw .invalidRequest("the store is open read-only")
    }

    public func purge(createdBefore: Int64, limit: Int) throws(OutboxError) -> Int {
        throw .invalidRequest("the store is open read-only")
    }

    /// Never: a read-only store does not write.
    public var isWritable: Bool { false }
    public var writerStatistics: WriterStatistics { WriterStatistics(batches: 0, items: 0, failedBatches: 0) }
}
