import RelayCore
import RelayCrypto
import Synchronization

/// The SQLite outbox (`docs/architecture.md`, "Store"): one writer thread with group commit for
/// every write, a read-only connection for queries, a background checkpointer. WAL,
/// `synchronous=FULL`, STRICT tables, migrations applied on open. Safe to use from any thread.
/// Its SQL lives in `SQLite/SQL/`; build it with `StoreFactory.open`.
///
/// One process enqueues into and delivers from a file at a time (the dedupe index lives in that
/// process's writer): the owner (`StoreAccess.owner`, `serve`) holds an exclusive lock on
/// `<path>.lock` while it runs, and a second owner fails to open. Other processes (the CLI) may
/// read and run operator writes (`.shared`), through SQLite's locking. Delivery is at-least-once: a lease
/// that runs out returns its job to `queued` even if the provider had accepted it.
public final class SQLiteOutbox: OutboxStore, ItemWritingStore, QueryingStore {
    public let path: String
    let keys: KeyRing
    let clock: any WallClock
    let logger: Logger
    let options: OutboxOptions
    let ids: JobIDGenerator
    let writer: GroupCommitWriter
    let reader: ReadConnection
    let queries: SQLiteQueries
    let checkpointer: Checkpointer
    let lock: DatabaseLock?

    /// Opens (creating if needed) and migrates the database, then starts the writer thread: the
    /// store is running when this returns (`start()` has nothing left to do). As the owner it
    /// first takes the file's lock, and returns the jobs a dead owner left `sending` to `queued`.
    public init(
        path: String, keys: KeyRing, clock: any WallClock = SystemClock(), logger: Logger,
        options: OutboxOptions = OutboxOptions(), access: StoreAccess = .shared
    ) throws(OutboxError) {
        self.path = path
        self.keys = keys
        self.clock = clock
        self.logger = logger
        self.options = options
        self.ids = JobIDGenerator(clock: clock)
        self.lock = access == .owner ? try DatabaseLock(databasePath: path) : nil
        var config = SQLiteDatabase.Configuration()
        config.busyTimeoutMillis = Int32(clamping: options.busyTimeout.wholeMilliseconds)
        config.journalSizeLimitBytes = options.journalSizeLimitBytes
        config.walAutoCheckpointPages = 0  // the Checkpointer does it, off the writer's path
        config.cacheSizeKiB = options.cacheSizeKiB
        config.maxPageCount = options.maxPageCount
        let context = WriterContext(
            path: path, configuration: config, clock: clock,
            maxDedupeWindowMillis: options.maxDedupeWindow.wholeMilliseconds,
            maxDedupeEntries: options.maxDedupeEntries)
        do {
            _ = try context.connection()
        } catch {
            throw OutboxError.startup(error)
        }
        if options.verifyDataKey {
            do {
                try DataKeyCheck.verify(try SQLiteDatabase(path: path, configuration: config), keys: keys, now: clock.nowMillis())
            } catch let e as OutboxError {
                throw e
            } catch {
                throw OutboxError.startup("data key check: \(error)")
            }
        }
        var policy = Checkpointer.Policy()
        policy.truncateBytes = options.walTruncateBytes
        policy.erasureDelay = options.erasureCheckpointDelay
        self.checkpointer = Checkpointer(path: path, configuration: config, policy: policy, logger: logger)
        self.writer = GroupCommitWriter(
            context: context, maxBatchSize: options.maxBatchSize,
            checkpointPages: options.checkpointPages, checkpointer: checkpointer,
            logger: logger)
        self.reader = ReadConnection(path: path, configuration: config)
        self.queries = SQLiteQueries(reader: reader, options: options)
        checkpointer.start()
        writer.start()
        if access == .owner { try returnOrphanedLeases() }
    }

    /// Leases found at the owner's start belonged to a process that is gone (see `DatabaseLock`);
    /// capped by `options.maxAttempts`.
    private func returnOrphanedLeases() throws(OutboxError) {
        let now = clock.nowMillis()
        let cap = options.maxAttempts
        let n: Int
        do {
            n = try writer.perform { ctx throws(SQLiteError) in try ctx.returnOrphanedLeases(now: now, maxAttempts: cap) }.get()
        } catch {
            close()
            throw OutboxError.startup(error.detail)
        }
        if n > 0 {
            logger.warning(
                "outbox: returned jobs left sending by a stopped process to the queue", ["jobs": .int(Int64(n))])
        }
    }

    /// A store whose ring is the one key `dataKey`.
    public convenience init(
        path: String, dataKey: DataKey, clock: any WallClock = SystemClock(), logger: Logger,
        options: OutboxOptions = OutboxOptions(), access: StoreAccess = .shared
    ) throws(OutboxError) {
        try self.init(path: path, keys: KeyRing(current: dataKey), clock: clock, logger: logger, options: options, access: access)
    }

    deinit { close() }

    // MARK: lifecycle (`start` and `shutdown(by:)`: `OutboxStore`'s)

    /// Closes the reader and the checkpointer first, so the writer's connection is the last one:
    /// it checkpoints the whole WAL into the database file before it closes (`GroupCommitWriter`),
    /// and a clean stop leaves nothing only in `-wal`. Then drops the owner's lock.
    public func close() {
        reader.close()
        checkpointer.stop()
        writer.stop()
        lock?.release()
    }

    // MARK: writer requests (`ItemWritingStore`: enqueue, non-blocking finish, receipts)

    var finishExecutor: any CompletionExecutor { writer.finishQueue }
    func submit(_ item: EnqueueItem) -> Bool { writer.submit(item) }
    func submit(_ item: FinishItem) -> Bool { writer.submit(item) }
    func submit(_ item: ReceiptItem) -> Bool { writer.submit(item) }

    // MARK: health (no query)

    public var isWritable: Bool { !writer.lastBatchFailed.load(ordering: .relaxed) }

    /// The writer thread answers an empty operation (see `GroupCommitWriter.ping`).
    public func writerResponds() -> Bool { writer.ping() }

    public var writerStatistics: WriterStatistics {
        WriterStatistics(
            batches: writer.batchesCommitted.load(ordering: .relaxed),
            items: writer.itemsCommitted.load(ordering: .relaxed),
            failedBatches: writer.batchesFailed.load(ordering: .relaxed),
            log: LogStatistics(
                bytes: Checkpointer.walBytes(path), degradedBytes: options.walDegradedBytes,
                uncopiedFrames: checkpointer.state.uncopiedFrames.load(ordering: .relaxed),
                truncations: checkpointer.state.truncations.load(ordering: .relaxed)))
    }

    // MARK: SQLite only

    /// Sets `PRAGMA max_page_count` on the writer connection (bounds disk use; tests simulate a
    /// full disk with it). Returns the limit SQLite applied.
    @discardableResult
    public func setMaxPageCount(_ pages: Int) throws(OutboxError) -> Int {
        try writer.perform { ctx throws(SQLiteError) in
            try ctx.setMaxPageCount(pages)
            return try ctx.connection().withStatement(SchemaSQL.maxPageCount) { s throws(SQLiteError) in
                try s.step() ? s.int(0) : 0
            }
        }.get()
    }

    /// Pages the database file holds now.
    public func pageCount() throws(OutboxError) -> Int {
        try writer.perform { ctx throws(SQLiteError) in try ctx.connection().pageCount() }.get()
    }
}
