import CSQLite
import RelayCore

/// Pages in the WAL after the last commit, reported by SQLite's WAL hook.
final class WALCounter { var pages: Int32 = 0 }

/// The writer thread's connection and the state that goes with it (fencing-token counter, dedupe
/// index). Confined to the writer thread, checked in debug builds (`owner`, at `connection()`,
/// through which every use goes): `SQLiteOutbox.init` opens it on the caller's thread, then the
/// writer thread claims it (`claimForCurrentThread`) before its first batch.
final class WriterContext {
    private(set) var db: SQLiteDatabase?
    let owner = ThreadOwnership("WriterContext")
    let path: String
    private let configuration: SQLiteDatabase.Configuration
    private var lastToken: Int64 = 0
    private var savepointDepth = 0
    private let wal = WALCounter()
    let dedupe: DedupeIndex
    /// Whether this batch erased payloads (a TRUNCATE checkpoint then follows: `Checkpointer`).
    var erasedPayloads = false
    let maxDedupeWindowMillis: Int64
    let clock: any WallClock

    init(
        path: String, configuration: SQLiteDatabase.Configuration, clock: any WallClock,
        maxDedupeWindowMillis: Int64, maxDedupeEntries: Int
    ) {
        self.path = path
        self.configuration = configuration
        self.clock = clock
        self.maxDedupeWindowMillis = maxDedupeWindowMillis
        self.dedupe = DedupeIndex(maxEntries: maxDedupeEntries)
    }

    /// Hands the context and its connection to the calling thread (the writer thread, at start).
    func claimForCurrentThread() {
        owner.claim()
        db?.owner.claim()
    }

    /// The open connection, reopening it when a previous failure closed it.
    func connection() throws(SQLiteError) -> SQLiteDatabase {
        owner.check()
        if let db { return db }
        let fresh = try SQLiteDatabase(path: path, configuration: configuration)
        try Migrator().migrate(fresh, now: clock.nowMillis())
        try dedupe.rebuild(fresh, now: clock.nowMillis(), maxWindowMillis: maxDedupeWindowMillis)
        let maxToken = try fresh.withStatement(JobsSQL.maxLeaseToken) { s throws(SQLiteError) in
            try s.step() ? s.int64(0) : 0
        }
        lastToken = max(lastToken, maxToken, clock.nowMillis() << 20)
        // Counts WAL frames for the checkpointer (this replaces SQLite's auto-checkpoint).
        sqlite3_wal_hook(
            fresh.handle,
            { ctx, _, _, pages in
                Unmanaged<WALCounter>.fromOpaque(ctx!).takeUnretainedValue().pages = pages
                return SQLITE_OK
            }, Unmanaged.passUnretained(wal).toOpaque())
        db = fresh
        return fresh
    }

    /// Whether payloads were erased since the last call (and resets it).
    func takeErasedPayloads() -> Bool {
        defer { erasedPayloads = false }
        return erasedPayloads
    }

    /// Frames in the WAL after the last commit (the WAL hook's count).
    var walFrames: Int { Int(wal.pages) }

    /// A passive checkpoint on the writer's own connection, outside any transaction. Used when the
    /// background checkpointer cannot keep up (sustained load keeps appending frames it has not
    /// copied yet); returns whether it succeeded. Failures are left for the next try.
    func checkpointNow() -> Bool {
        owner.check()
        guard let db else { return false }
        return (try? db.checkpointPassive()) == true
    }

    /// At a clean close: a TRUNCATE checkpoint, so the database file alone holds every commit and
    /// `-wal` is empty (the store's other connections are closed by then). A reader in another
    /// process (an operator's `sqlite3`) can keep it from running; it waits for it at most
    /// `waitMillis`, and the `-wal` file then still holds commits (logged).
    func checkpointAtClose(waitMillis: Int32 = 2_000) -> Bool {
        owner.check()
        guard let db else { return false }
        db.setBusyTimeout(millis: waitMillis)
        let done = (try? db.checkpoint(.truncate))?.complete == true
        db.setBusyTimeout(millis: configuration.busyTimeoutMillis)
        return done
    }

    /// Drops the connection (after an I/O error); the next batch reopens it.
    func close() {
        owner.check()
        db = nil
        fullSync = true
    }

    /// `synchronous` of the write connection now (a fresh connection opens with FULL).
    private var fullSync = true

    /// FULL for a batch holding anything that must survive a power cut, NORMAL otherwise
    /// (`WriteItem.durable`); set between transactions only.
    func synchronous(full: Bool) throws(SQLiteError) {
        owner.check()
        guard full != fullSync, let db else { return }
        try db.execute(full ? SchemaSQL.synchronousFull : SchemaSQL.synchronousNormal)
        fullSync = full
    }

    /// A fencing token greater than any issued before, across restarts.
    func nextToken() -> Int64 {
        owner.check()
        lastToken = max(lastToken + 1, clock.nowMillis() << 20)
        return lastToken
    }

    /// Runs `body` in a savepoint: it applies whole or not at all, inside the batch transaction.
    func atomically<R>(_ body: (SQLiteDatabase) throws(SQLiteError) -> R) throws(SQLiteError) -> R {
        let db = try connection()
        savepointDepth += 1
        let name = "item\(savepointDepth)"
        defer { savepointDepth -= 1 }
        try db.run(JobsSQL.savepoint(name))  // cached statements: no parse per item
        do {
            let r = try body(db)
            try db.run(JobsSQL.release(name))
            return r
        } catch {
            try? db.execute(JobsSQL.rollback(to: name))
            try? db.execute(JobsSQL.release(name))
            throw error
        }
    }

    /// Sets `PRAGMA max_page_count` on the writer connection (operators, and tests simulating a full disk).
    func setMaxPageCount(_ pages: Int) throws(SQLiteError) {
        try connection().setMaxPageCount(pages)
    }

    // MARK: enqueue

    /// Dedupe lookup and insert. One write statement, so the item is atomic without a savepoint.
    /// The dedupe entry is added after the insert succeeded and undone if the batch fails.
    func insert(_ item: EnqueueItem) throws(SQLiteError) -> EnqueueResult {
        let db = try connection()
        let job = item.job
        let window = min(job.dedupeWindow.wholeMilliseconds, maxDedupeWindowMillis)
        let key = window > 0 ? job.dedupeKey.flatMap(DedupeKey.init) : nil
        if let key, let firstID = dedupe.lookup(key, since: job.createdAt - window) {
            let status = try db.withStatement(JobsSQL.status) { s throws(SQLiteError) -> JobStatus? in
                s.bind(firstID, to: ":id")
                return try s.step() ? JobStatus(rawValue: s.string(0)) : nil
            }
            if let status { return EnqueueResult(id: firstID, status: status, duplicate: true) }
        }
        try db.run(JobsSQL.insert) { s in
            s.bind(item.id, to: ":id")
            s.bind(job.kind.rawValue, to: ":kind")
            s.bind(job.channel, to: ":channel")
            s.bind(job.createdAt, to: ":created_at")
            s.bind(job.runAt, to: ":run_at")
            s.bind(job.expiresAt, to: ":expires_at")
            s.bind(job.recipientMasked, to: ":recipient_masked")
            s.bind(job.recipientHash, to: ":recipient_hash")
            s.bind(job.dedupeKey, to: ":dedupe_key")
            s.bind(key == nil ? nil : job.createdAt + window, to: ":dedupe_until")
            s.bind(item.payload, to: ":payload")
            s.bind(job.language, to: ":language")
            s.bind(job.app, to: ":app")
        }
        if let key { dedupe.insert(key, id: item.id, createdAt: job.createdAt, until: job.createdAt + window) }
        return EnqueueResult(id: item.id, status: .queued, duplicate: false)
    }
}
