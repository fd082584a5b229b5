import RelayCore
import RelayCrypto
import Synchronization

/// The PostgreSQL outbox (`docs/deployment.md`): several otp-relay nodes share one queue. Ingest
/// goes through one group-commit writer per node (`PGWriter`), dedupe is authoritative in the
/// database (`dedupe_keys`), claims take rows `FOR UPDATE SKIP LOCKED` under a fencing token from a
/// sequence, leases, `run_at` and expiry use the database's clock, every node's rescuer returns
/// expired leases, sweeps run on one node at a time (an advisory lock), and wake-ups travel by
/// `NOTIFY` (one per committed batch) to each node's `PGListener`, with the workers' bounded poll
/// for missed ones. Build it with `StoreFactory.open(.postgresql(url:))`.
///
/// Every statement is a single unnamed statement or a transaction that ends before the call
/// returns, so a PgBouncer in transaction mode serves it (`PgBouncerEndToEndTests`); `LISTEN`
/// then reaches no node: the listener finds this out by a probe and says so, the workers fall
/// back to their poll (`delivery.max_idle_ms`), and `database_listen_url` connects the listener
/// alone straight to the server.
public final class PostgreSQLOutbox: OutboxStore, ItemWritingStore, QueryingStore {
    let keys: KeyRing
    let clock: any WallClock
    let logger: Logger
    let options: PostgreSQLOptions
    let ids: JobIDGenerator
    let writer: PGWriter
    let pool: PGPool
    let queries: PGQueries
    private let listener: PGListener
    let observers = ObserverList()
    let repeatLookups = RepeatLookups()
    private let closed = Atomic<Bool>(false)

    /// Connects, migrates and checks the data key, then starts the writer and the listener.
    /// `access` changes nothing here: any number of nodes own the queue together.
    public init(
        url: String, keys: KeyRing, clock: any WallClock = SystemClock(), logger: Logger,
        options: PostgreSQLOptions = PostgreSQLOptions()
    ) throws(OutboxError) {
        self.keys = keys
        self.clock = clock
        self.logger = logger
        self.options = options
        self.ids = JobIDGenerator(clock: clock)
        let setup = PGConnection(conninfo: url, applicationName: options.applicationName)
        defer { setup.close() }
        do {
            try setup.connection()
        } catch {
            throw .startup("cannot connect to PostgreSQL: \(error)")
        }
        try PGMigrator().migrate(setup, now: clock.nowMillis())
        if options.verifyDataKey { try PGDataKeyCheck.verify(setup, keys: keys, now: clock.nowMillis()) }
        if options.servingNode { PGServerSettings.report(setup, logger: logger) }
        pool = PGPool(
            conninfo: url, size: options.poolSize, applicationName: options.applicationName, waitTimeout: options.poolWait,
            sessionSetup: options.sessionSetup)
        queries = PGQueries(pool: pool, options: options)
        let notifyAll: @Sendable () -> Void = { [observers] in observers.notify() }
        writer = PGWriter(
            connection: PGConnection(conninfo: url, applicationName: options.applicationName, sessionSetup: options.sessionSetup),
            settings: .init(
                maxBatchSize: options.maxBatchSize, maxDedupeWindowMillis: options.maxDedupeWindow.wholeMilliseconds,
                databaseClock: options.databaseClock),
            clock: clock, logger: logger, observers: notifyAll)
        listener = PGListener(
            conninfo: options.listenURL ?? url, probeConninfo: url, probeWait: options.listenerProbeWait,
            reportsUnreachable: options.servingNode, logger: logger, onNotify: notifyAll)
        writer.start()
        listener.start()
    }

    deinit { close() }

    /// Commits what was accepted, then closes the writer, the listener and the pool.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        writer.stop()
        listener.stop()
        pool.close()
    }

    /// `$1` of every delivery statement: the caller's now, or NULL for the database's clock.
    func clockParam(_ now: Int64) -> String? { options.databaseClock ? nil : String(now) }

    /// Runs one call on a pooled connection, mapping failures.
    func withConnection<T>(_ body: (PGConnection) throws(PGError) -> T) throws(OutboxError) -> T {
        do {
            return try pool.with(body)
        } catch {
            throw OutboxError.from(error)
        }
    }

    /// Wakes this node's workers, and (by `NOTIFY`) every other node's.
    func notifyReady(_ c: PGConnection) {
        _ = try? c.exec(PGSQL.notify)
        observers.notify()
    }

    // MARK: writer requests (`ItemWritingStore`: enqueue, non-blocking finish, receipts)

    var finishExecutor: any CompletionExecutor { writer.finishQueue }
    func submit(_ item: EnqueueItem) -> Bool { writer.submit(.enqueue(item)) }
    func submit(_ item: FinishItem) -> Bool { writer.submit(.finish(item)) }
    func submit(_ item: ReceiptItem) -> Bool { writer.submit(.receipt(item)) }

    // MARK: health (no query)

    public var isWritable: Bool { !writer.lastBatchFailed.load(ordering: .relaxed) }

    /// The writer thread answers an empty item (`PGWriter.ping`).
    public func writerResponds() -> Bool { writer.ping() }

    public var writerStatistics: WriterStatistics {
        WriterStatistics(
            batches: writer.batchesCommitted.load(ordering: .relaxed),
            items: writer.itemsCommitted.load(ordering: .relaxed),
            failedBatches: writer.batchesFailed.load(ordering: .relaxed))
    }

    /// Notifications this node's listener received (tests).
    public var notificationsReceived: Int { listener.received.load(ordering: .relaxed) }

    /// Whether other sessions' notifications reach this node's listener (its probe after each
    /// `LISTEN` came back); nil before the first probe ended.
    public var notificationsReachListener: Bool? { listener.reachable }

    public func addCommitObserver(_ observer: @escaping @Sendable () -> Void) {
        observers.list.withLock { $0.append(observer) }
    }
}

/// Commit observers (the worker pool's wake-up), called after local commits and notifications.
final class ObserverList: Sendable {
    let list = Mutex<[@Sendable () -> Void]>([])

    func notify() {
        for f in list.withLock({ $0 }) { f() }
    }
}
