import CSQLite
import RelayCore

#if canImport(Glibc)
import Glibc
#endif

/// One SQLite connection, closed in deinit (a failed open still closes). Not Sendable, and opened
/// with `SQLITE_OPEN_NOMUTEX`: a connection belongs to one thread at a time, checked in debug
/// builds (`owner`, at `execute`, `statement` and `SQLiteStatement.step`). The first thread to use
/// it owns it; a connection handed to another thread is claimed there (`owner.claim()`), one lent
/// out of a pool is claimed by the borrower and released on return. Statements are prepared once
/// and cached by SQL text.
final class SQLiteDatabase {
    struct Configuration: Sendable {
        var busyTimeoutMillis: Int32 = 5_000
        var journalSizeLimitBytes: Int64 = 64 << 20
        var walAutoCheckpointPages: Int = 1_000
        var cacheSizeKiB: Int = 8_192
        var readOnly = false
        /// Page size for a new database file (no effect on an existing one).
        var pageSize: Int = 4_096
        var maxPageCount: Int? = nil
        /// Leaves the journal mode alone instead of switching to WAL (a backup copy being written).
        var rollbackJournal = false
    }

    let handle: OpaquePointer
    let path: String
    let owner = ThreadOwnership("SQLiteDatabase")
    private var cache: [String: SQLiteStatement] = [:]

    /// Process-wide settings, applied once before the first connection: memory statistics off
    /// (they take a global mutex on every allocation).
    private static let processSetup: Void = {
        _ = csqlite_config_int(SQLITE_CONFIG_MEMSTATUS, 0)
    }()

    init(path: String, configuration: Configuration) throws(SQLiteError) {
        _ = SQLiteDatabase.processSetup
        var db: OpaquePointer?
        let flags =
            (configuration.readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        if !configuration.readOnly { Self.createPrivately(path) }
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            sqlite3_close_v2(db)  // a failed open still allocates a handle
            throw SQLiteError(code: rc, operation: "open")
        }
        self.handle = db
        self.path = path
        do {
            try configure(configuration)
        } catch {
            cache.removeAll()
            throw error
        }
    }

    /// Creates a missing database file 0600 (owner only) before SQLite does it with 0644: the
    /// `-wal` and `-shm` files SQLite makes later take the database file's mode.
    private static func createPrivately(_ path: String) {
        guard !path.isEmpty, !path.hasPrefix(":"), !path.hasPrefix("file:") else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }  // EEXIST: an existing file keeps its mode
    }

    deinit {
        cache.removeAll()  // finalize statements before closing
        sqlite3_close_v2(handle)
    }

    private func configure(_ c: Configuration) throws(SQLiteError) {
        sqlite3_busy_timeout(handle, c.busyTimeoutMillis)
        sqlite3_extended_result_codes(handle, 1)
        var out: Int32 = 0
        _ = csqlite_db_config_int(handle, SQLITE_DBCONFIG_DEFENSIVE, 1, &out)
        _ = csqlite_db_config_int(handle, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, &out)
        try execute(SchemaSQL.foreignKeys)
        try execute(SchemaSQL.cacheSize(kib: c.cacheSizeKiB))
        if !c.readOnly {
            try execute(SchemaSQL.pageSize(c.pageSize))
            if !c.rollbackJournal { try expect(pragma: SchemaSQL.journalModeWAL, equals: "wal") }
            try execute(SchemaSQL.journalSizeLimit(c.journalSizeLimitBytes))
            try execute(SchemaSQL.secureDelete)
            try execute(SchemaSQL.walAutocheckpoint(pages: c.walAutoCheckpointPages))
        } else {
            try execute(SchemaSQL.queryOnly)
        }
        try execute(SchemaSQL.synchronousFull)
        if let m = c.maxPageCount { try setMaxPageCount(m) }
    }

    private func expect(pragma: String, equals value: String) throws(SQLiteError) {
        let got = try withStatement(pragma) { s throws(SQLiteError) in try s.step() ? s.string(0) : "" }
        guard got.lowercased() == value else {
            throw SQLiteError(code: SQLITE_ERROR, operation: "pragma", detail: "\(pragma) returned \(got)")
        }
    }

    /// Caps the database size in pages (operational limit; tests use it to simulate a full disk).
    func setMaxPageCount(_ pages: Int) throws(SQLiteError) {
        try execute(SchemaSQL.setMaxPageCount(pages))
    }

    func pageCount() throws(SQLiteError) -> Int {
        try withStatement(SchemaSQL.pageCount) { s throws(SQLiteError) in try s.step() ? s.int(0) : 0 }
    }

    /// Runs SQL text without bindings (one or more statements: migrations, pragmas, BEGIN/COMMIT).
    func execute(_ sql: String) throws(SQLiteError) {
        owner.check()
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else {
            throw SQLiteError(code: sqlite3_extended_errcode(handle), operation: "exec")
        }
    }

    /// A cached prepared statement.
    func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        owner.check()
        if let s = cache[sql] { return s }
        let s = try SQLiteStatement(db: self, sql: sql)
        cache[sql] = s
        return s
    }

    /// Runs `body` with the cached statement for `sql`, then resets it and clears its bindings.
    func withStatement<R>(_ sql: String, _ body: (SQLiteStatement) throws(SQLiteError) -> R) throws(SQLiteError) -> R {
        let s = try statement(sql)
        defer { s.reset() }
        return try body(s)
    }

    /// Steps a statement that returns no rows; returns the number of rows changed.
    @discardableResult
    func run(_ sql: String, _ bind: (SQLiteStatement) -> Void = { _ in }) throws(SQLiteError) -> Int {
        try withStatement(sql) { s throws(SQLiteError) in
            bind(s)
            while try s.step() {}
            return changes
        }
    }

    /// What a checkpoint did: whether a lock was in the way (`SQLITE_BUSY`: a writer, or for
    /// RESTART/TRUNCATE a reader on an older snapshot), frames in the WAL, frames copied into
    /// the database file.
    struct CheckpointResult: Equatable {
        var busy: Bool
        var walFrames: Int
        var copiedFrames: Int
        /// Every frame is in the database file (a RESTART or TRUNCATE could then run).
        var complete: Bool { !busy && copiedFrames >= walFrames }
    }

    enum CheckpointMode {
        /// Copies what it can without blocking anyone.
        case passive
        /// Copies everything, then truncates the WAL to zero bytes; waits (busy handler) for the
        /// writer and for readers on older snapshots, and blocks new writers while it waits.
        case truncate
    }

    /// A WAL checkpoint; a lock in the way is reported (`busy`), left for the next try.
    @discardableResult
    func checkpoint(_ mode: CheckpointMode = .passive) throws(SQLiteError) -> CheckpointResult {
        owner.check()
        var logFrames: Int32 = 0, copied: Int32 = 0
        let m = mode == .passive ? SQLITE_CHECKPOINT_PASSIVE : SQLITE_CHECKPOINT_TRUNCATE
        let rc = sqlite3_wal_checkpoint_v2(handle, nil, m, &logFrames, &copied)
        if rc == SQLITE_OK || rc == SQLITE_BUSY {
            return CheckpointResult(busy: rc == SQLITE_BUSY, walFrames: Int(logFrames), copiedFrames: Int(copied))
        }
        throw SQLiteError(code: sqlite3_extended_errcode(handle), operation: "wal_checkpoint")
    }

    /// A passive WAL checkpoint: true when it ran through, false when a lock was in the way.
    @discardableResult
    func checkpointPassive() throws(SQLiteError) -> Bool { try !checkpoint(.passive).busy }

    /// Sets how long a lock held elsewhere is waited for (milliseconds).
    func setBusyTimeout(millis: Int32) { sqlite3_busy_timeout(handle, millis) }

    var changes: Int { Int(sqlite3_changes64(handle)) }
    var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    /// Rolls back if a transaction is open; errors are ignored (SQLite may already have rolled back).
    func rollbackIfNeeded() {
        owner.check()
        if !isAutocommit { _ = sqlite3_exec(handle, JobsSQL.rollback, nil, nil, nil) }
    }

    /// Runs `body` in `BEGIN IMMEDIATE … COMMIT`, rolling back when anything throws.
    func immediateTransaction<R>(_ body: () throws(SQLiteError) -> R) throws(SQLiteError) -> R {
        try execute(JobsSQL.begin)
        do {
            let r = try body()
            try execute(JobsSQL.commit)
            return r
        } catch {
            rollbackIfNeeded()
            throw error
        }
    }
}
