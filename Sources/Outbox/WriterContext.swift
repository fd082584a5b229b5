import CSQLite
import RelayCore

/// Pages in the WAL after the last commit, reported by SQLite's WAL hook.
final class WALCounter { var pages: Int32 = 0 }

/// The writer thread's connection and the state that goes with it (fencing-token counter).
/// Confined to the writer thread (or to a caller while the writer is not running).
final class WriterContext {
    private(set) var db: SQLiteDatabase?
    let path: String
    private let configuration: SQLiteDatabase.Configuration
    private var lastToken: Int64 = 0
    private var savepointDepth = 0
    private let wal = WALCounter()
    let dedupe: DedupeIndex
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

    /// The open connection, reopening it when a previous failure closed it.
    func connection() throws(SQLiteError) -> SQLiteDatabase {
        if let db { return db }
        let fresh = try SQLiteDatabase(path: path, configuration: configuration)
        try Migrator().migrate(fresh, now: clock.nowMillis())
        try dedupe.rebuild(fresh, now: clock.nowMillis(), maxWindowMillis: maxDedupeWindowMillis)
        let maxToken = try fresh.withStatement("SELECT coalesce(max(lease_token), 0) FROM jobs") { s throws(SQLiteError) in
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

    /// Frames in the WAL after the last commit (the WAL hook's count).
    var walFrames: Int { Int(wal.pages) }

    /// A passive checkpoint on the writer's own connection, outside any transaction. Used when the
    /// background checkpointer cannot keep up (sustained load keeps appending frames it has not
    /// copied yet); returns whether it succeeded. Failures are left for the next try.
    func checkpointNow() -> Bool {
        guard let db else { return false }
        var logFrames: Int32 = 0, copied: Int32 = 0
        return sqlite3_wal_checkpoint_v2(db.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copied) == SQLITE_OK
    }

    /// Drops the connection (after an I/O error); the next batch reopens it.
    func close() { db = nil }

    /// A fencing token greater than any issued before, across restarts.
    func nextToken() -> Int64 {
        lastToken = max(lastToken + 1, clock.nowMillis() << 20)
        return lastToken
    }

    /// Runs `body` in a savepoint: it applies whole or not at all, inside the batch transaction.
    func atomically<R>(_ body: (SQLiteDatabase) throws(SQLiteError) -> R) throws(SQLiteError) -> R {
        let db = try connection()
        savepointDepth += 1
        let name = "item\(savepointDepth)"
        defer { savepointDepth -= 1 }
        try db.run("SAVEPOINT \(name)")  // cached statements: no parse per item
        do {
            let r = try body(db)
            try db.run("RELEASE \(name)")
            return r
        } catch {
            try? db.execute("ROLLBACK TO \(name)")
            try? db.execute("RELEASE \(name)")
            throw error
        }
    }

    /// Sets `PRAGMA max_page_count` on the writer connection (operators, and tests simulating a full disk).
    func setMaxPageCount(_ pages: Int) throws(SQLiteError) {
        try connection().setMaxPageCount(pages)
    }

    // MARK: enqueue

    static let statusSQL = "SELECT status FROM jobs WHERE id = ?1"

    static let insertSQL = """
        INSERT INTO jobs (id, kind, channel, status, attempts, created_at, updated_at, run_at, expires_at,
                          recipient_masked, recipient_hash, dedupe_key, dedupe_until, payload, route_step,
                          language, app)
        VALUES (?1, ?2, ?3, 'queued', 0, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?13, ?10, 0, ?11, ?12)
        """

    /// Dedupe lookup and insert. One write statement, so the item is atomic without a savepoint.
    /// The dedupe entry is added after the insert succeeded and undone if the batch fails.
    func insert(_ item: EnqueueItem) throws(SQLiteError) -> EnqueueResult {
        let db = try connection()
        let job = item.job
        let window = min(job.dedupeWindowMillis, maxDedupeWindowMillis)
        let key = window > 0 ? job.dedupeKey.flatMap(DedupeKey.init) : nil
        if let key, let firstID = dedupe.lookup(key, since: job.createdAt - window) {
            let status = try db.withStatement(WriterContext.statusSQL) { s throws(SQLiteError) -> JobStatus? in
                s.bind(1, firstID)
                return try s.step() ? JobStatus(rawValue: s.string(0)) : nil
            }
            if let status { return EnqueueResult(id: firstID, status: status, duplicate: true) }
        }
        try db.run(WriterContext.insertSQL) { s in
            s.bind(1, item.id)
            s.bind(2, job.kind.rawValue)
            s.bind(3, job.channel)
            s.bind(4, job.createdAt)
            s.bind(5, job.runAt)
            s.bind(6, job.expiresAt)
            s.bind(7, job.recipientMasked)
            s.bind(8, job.recipientHash)
            s.bind(9, job.dedupeKey)
            s.bind(10, item.payload)
            s.bind(11, job.language)
            s.bind(12, job.app)
            s.bind(13, key == nil ? nil : job.createdAt + window)
        }
        if let key { dedupe.insert(key, id: item.id, createdAt: job.createdAt, until: job.createdAt + window) }
        return EnqueueResult(id: item.id, status: .queued, duplicate: false)
    }
}
