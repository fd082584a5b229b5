#if canImport(Glibc)
import Glibc
#endif

/// The SQLite store opened for reading only (`StoreFactory.openReadOnly`): one connection opened
/// `SQLITE_OPEN_READONLY` with `query_only`, never `SQLITE_OPEN_CREATE`, no migrations, no writer
/// or checkpointer thread. A WAL reader, so it never waits behind a running service's writes
/// (and never makes them wait). Writes (`replay`, `purge`) fail with `.invalidRequest`.
public final class SQLiteReadOnlyStore: ReadOnlyJobStore {
    public let path: String
    let reader: ReadConnection
    let queries: SQLiteQueries

    /// Opens the existing database at `path`: `.startup` when there is none ("no database at …"),
    /// when it is not an otp-relay database, or when its schema is not the one this binary
    /// migrates to (older: run `otp-relay migrate`; newer: a newer binary wrote it).
    public init(path: String, options: OutboxOptions = OutboxOptions()) throws(OutboxError) {
        self.path = path
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw OutboxError.startup("no database at \(path)")
        }
        var config = SQLiteDatabase.Configuration()
        config.busyTimeoutMillis = Int32(clamping: options.busyTimeout.wholeMilliseconds)
        config.cacheSizeKiB = options.cacheSizeKiB
        reader = ReadConnection(path: path, configuration: config)
        queries = SQLiteQueries(reader: reader, options: options)
        let versions: [Int]
        do {
            versions = try reader.read { db throws(SQLiteError) in try Migrator.appliedVersions(db) }
        } catch {
            throw OutboxError.startup("\(path) is not a readable otp-relay database (\(error.detail))")
        }
        let expected = Migrator().migrations.map(\.version)
        guard !versions.isEmpty else { throw OutboxError.startup("\(path) is not an otp-relay database (no schema)") }
        if let newest = versions.last, let mine = expected.last, newest > mine {
            throw OutboxError.startup("\(path) has schema version \(newest), newer than this binary (\(mine))")
        }
        guard Set(expected).isSubset(of: Set(versions)) else {
            throw OutboxError.startup("\(path) needs migrations this binary has: run otp-relay migrate")
        }
    }

    deinit { close() }

    public func close() { reader.close() }

    // MARK: JobOperationsStore

    public func job(id: String) throws(OutboxError) -> JobRecord? { try queries.job(id: id) }
    public func jobs(matching f: JobFilter) throws(OutboxError) -> [JobRecord] { try queries.jobs(matching: f) }
    public func attempts(jobID: String) throws(OutboxError) -> [AttemptRecord] { try queries.attempts(jobID: jobID) }

    public func replay(
        ids: [String], actor: String, reason: String, now: Int64
    ) throws(OutboxError) -> [(id: String, result: ReplayResult)] {
        throw OutboxError.invalidRequest("the store is open read-only")
    }

    public func purge(createdBefore: Int64, limit: Int) throws(OutboxError) -> Int {
        throw OutboxError.invalidRequest("the store is open read-only")
    }

    // MARK: JobStatisticsStore

    public func countsByStatus(channel: String?) throws(OutboxError) -> [JobStatus: Int] {
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
    /// Never: this store does not write.
    public var isWritable: Bool { false }
    public var writerStatistics: WriterStatistics { WriterStatistics(batches: 0, items: 0, failedBatches: 0) }
}
