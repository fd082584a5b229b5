import CSQLite
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What `otp-relay backup` made: a self-contained copy of the outbox (no `-wal` beside it).
public struct BackupReport: Sendable, Equatable {
    public var path: String
    public var bytes: Int64
    public var pages: Int
    public var jobs: Int
}

/// A consistent copy of the SQLite outbox taken beside a running `serve` (which owns the store and
/// holds `<db>.lock`): its own read-only connection, SQLite's online backup API
/// (`sqlite3_backup_step(-1)`: every page in one step, inside one read transaction, so the copy is
/// one snapshot, WAL frames included: a job committed only to `-wal` is in it). The copy is written
/// to a temporary name beside the destination (0600), switched to a rollback journal (one file),
/// checked with `PRAGMA integrity_check`, fsynced, then renamed over the destination and the
/// directory fsynced. The data key is not in the database: the payloads stay sealed in the copy.
enum SQLiteBackup {
    /// How long a busy source (WAL recovery, a checkpoint restarting the log) is retried.
    static let busyRetry: Duration = .seconds(10)

    static func run(source: String, destination: String, force: Bool) throws(OutboxError) -> BackupReport {
        let dest = absolute(destination)
        var st = stat()
        if stat(dest, &st) == 0 {
            guard force else { throw OutboxError.invalidRequest("\(dest) exists (use --force to replace it)") }
            guard (st.st_mode & S_IFMT) == S_IFREG else { throw OutboxError.invalidRequest("\(dest) is not a regular file") }
            var src = stat()
            if stat(source, &src) == 0 && src.st_dev == st.st_dev && src.st_ino == st.st_ino {
                throw OutboxError.invalidRequest("\(dest) is the database itself")
            }
        }
        // Checks that the source is an otp-relay database of this binary's schema.
        let store = try SQLiteReadOnlyStore(path: source)
        defer { store.close() }
        let dir = (dest as NSString).deletingLastPathComponent
        let temp = dir + "/." + (dest as NSString).lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OutboxError.invalidRequest("cannot create \(temp): \(String(cString: strerror(errno)))") }
        close(fd)
        var renamed = false
        defer {
            if !renamed {
                for suffix in ["", "-journal", "-wal", "-shm"] { unlink(temp + suffix) }
            }
        }
        let (pages, jobs) = try store.reader.read { src throws(SQLiteError) in try copy(from: src, to: temp) }
        try syncFile(temp)
        try place(temp, at: dest, replacing: force)
        renamed = true
        try syncFile(dir, directory: true)
        guard stat(dest, &st) == 0 else { throw OutboxError.invalidRequest("\(dest) vanished") }
        return BackupReport(path: dest, bytes: Int64(st.st_size), pages: pages, jobs: jobs)
    }

    /// Copies every page of `src` into the (empty) file `path`, then checks the copy. Returns its page
    /// and job counts.
    private static func copy(from src: SQLiteDatabase, to path: String) throws(SQLiteError) -> (Int, Int) {
        let dst = try SQLiteDatabase(path: path, configuration: copyConfiguration)
        guard let b = sqlite3_backup_init(dst.handle, "main", src.handle, "main") else {
            throw SQLiteError(code: sqlite3_extended_errcode(dst.handle), operation: "backup_init")
        }
        let deadline = ContinuousClock.now + busyRetry
        var rc = sqlite3_backup_step(b, -1)
        while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ContinuousClock.now < deadline {
            usleep(20_000)
            rc = sqlite3_backup_step(b, -1)
        }
        let pages = Int(sqlite3_backup_pagecount(b))
        sqlite3_backup_finish(b)
        guard rc == SQLITE_DONE else { throw SQLiteError(code: rc, operation: "backup_step") }
        // The copy carries the source's WAL flag: make it a one-file database (serve turns WAL back on).
        try dst.execute(SchemaSQL.journalModeDelete)
        let problems = try dst.withStatement(SchemaSQL.integrityCheck) { s throws(SQLiteError) in
            var rows: [String] = []
            while try s.step() { rows.append(s.string(0)) }
            return rows
        }
        guard problems == ["ok"] else {
            throw SQLiteError(code: SQLITE_CORRUPT, operation: "integrity_check", detail: problems.prefix(3).joined(separator: "; "))
        }
        let jobs = try dst.withStatement(PortableSQL.jobCount) { s throws(SQLiteError) in try s.step() ? s.int(0) : 0 }
        return (pages, jobs)
    }

    /// The copy's connection: read-write, no WAL (`journal_mode` is set after the copy).
    private static var copyConfiguration: SQLiteDatabase.Configuration {
        var c = SQLiteDatabase.Configuration()
        c.rollbackJournal = true
        return c
    }

    /// Moves the finished copy into place. Without `replacing`, a hard link refuses atomically a
    /// destination created since the check (EEXIST); a file system without hard links falls back
    /// to rename.
    private static func place(_ temp: String, at dest: String, replacing: Bool) throws(OutboxError) {
        if !replacing {
            if link(temp, dest) == 0 {
                unlink(temp)
                return
            }
            if errno == EEXIST { throw OutboxError.invalidRequest("\(dest) exists (use --force to replace it)") }
        }
        guard rename(temp, dest) == 0 else {
            throw OutboxError.invalidRequest("cannot rename the copy to \(dest): \(String(cString: strerror(errno)))")
        }
    }

    private static func syncFile(_ path: String, directory: Bool = false) throws(OutboxError) {
        let fd = open(path, (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC)
        guard fd >= 0 else { throw OutboxError.invalidRequest("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if !directory { fchmod(fd, 0o600) }
        guard fsync(fd) == 0 else { throw OutboxError.invalidRequest("fsync \(path): \(String(cString: strerror(errno)))") }
    }

    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
