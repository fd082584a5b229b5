/// What operators do with jobs (admin API, CLI, replayer, retention sweeper). Reads never wait
/// behind the ingest writer's batches; nothing returned holds a secret or a full recipient.
public protocol JobOperationsStore: AnyObject, Sendable {
    func job(id: String) throws(OutboxError) -> JobRecord?
    /// Newest first, at most `filter.limit` (capped by the store).
    func jobs(matching filter: JobFilter) throws(OutboxError) -> [JobRecord]
    func attempts(jobID: String) throws(OutboxError) -> [AttemptRecord]
    /// Moves dead jobs (not expired, payload kept) back to `queued` on the first rung, recording
    /// who and why.
    func replay(ids: [String], actor: String, reason: String, now: Int64) throws(OutboxError) -> [(id: String, result: ReplayResult)]
    /// Deletes sent, delivered, undelivered and expired jobs created before `createdBefore` (retention), at most `limit`
    /// per call so writers are never held long.
    func purge(createdBefore: Int64, limit: Int) throws(OutboxError) -> Int
}

/// Aggregates for the status page, `/metrics`, `/readyz` and `otp-relay stats`: read-only, cheap
/// enough to run per scrape; nothing here holds a secret or a recipient.
public protocol JobStatisticsStore: AnyObject, JobStatisticsQueries {
    /// False while the last write batch failed (disk full, I/O error, unreachable): for readiness
    /// checks, without a query.
    var isWritable: Bool { get }
    /// Group-commit counters since the store opened.
    var writerStatistics: WriterStatistics { get }
    /// Whether other nodes' wake-up notifications reach this node (PostgreSQL's listener probe);
    /// nil for a store without notifications or before the first probe ended.
    var notificationsReachListener: Bool? { get }
}

extension JobStatisticsStore {
    public var notificationsReachListener: Bool? { nil }
}

/// The aggregates' queries (`JobStatisticsStore`), which a store answers from its query layer.
public protocol JobStatisticsQueries: Sendable {
    /// Job counts per status (every status present, zero when none), optionally for one channel.
    func countsByStatus(channel: String?) throws(OutboxError) -> [JobStatus: Int]
    /// Attempts since `since` per channel, provider and outcome, with latency percentiles.
    func attemptSummary(since: Int64) throws(OutboxError) -> [AttemptSummary]
    /// The newest attempts that did not end in `sent`.
    func recentFailures(limit: Int) throws(OutboxError) -> [AttemptRecord]
    /// Tries finished since `since`, per channel, provider and outcome.
    func attemptCounts(since: Int64) throws(OutboxError) -> [AttemptCount]
    /// Accept → provider-accepted latency of jobs sent since `since` (milliseconds).
    func deliveryLatency(since: Int64) throws(OutboxError) -> LatencySummary
    /// Tries finished since `since` per minute and outcome (the status page's chart).
    func attemptsPerMinute(since: Int64) throws(OutboxError) -> [MinuteCount]
    /// Accept → provider-accepted latency of jobs sent since `since`, in buckets.
    func sentLatencyHistogram(since: Int64) throws(OutboxError) -> LatencyHistogram
    /// Accept → delivered (the provider's delivered receipt) latency of jobs delivered since
    /// `since`, in buckets; nil for a store that records no receipts.
    func deliveredLatencyHistogram(since: Int64) throws(OutboxError) -> LatencyHistogram?
    /// The creation time of the oldest queued job per channel.
    func oldestQueued() throws(OutboxError) -> [String: Int64]
}

/// Group-commit counters: batches committed, items in them (group commit shows as items >
/// batches), batches that failed; and the store's write-ahead log. Built by the stores with the
/// memberwise initializer.
public struct WriterStatistics: Sendable, Equatable {
    public var batches: Int
    public var items: Int
    public var failedBatches: Int
    public var log = LogStatistics()
}

/// The store's write-ahead log (SQLite's `-wal` file; zeros for a store without one).
public struct LogStatistics: Sendable, Equatable {
    /// Its size now.
    public var bytes: Int64 = 0
    /// The size past which it counts as degraded (0: no bound).
    public var degradedBytes: Int64 = 0
    /// Frames the last checkpoint could not copy into the database file (a reader holds them).
    public var uncopiedFrames = 0
    /// Checkpoints that emptied it.
    public var truncations = 0
    /// Larger than its bound: a reader on an old snapshot holds checkpoints back, and it grows.
    public var degraded: Bool { degradedBytes > 0 && bytes > degradedBytes }
}
