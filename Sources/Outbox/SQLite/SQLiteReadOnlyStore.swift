#if canImport(Glibc)
import Glibc
#endif

/// The SQLite store opened for reading only (`StoreFactory.openReadOnly`): one connection opened
/// `SQLITE_OPEN_READONLY` with `query_only`, never `SQLITE_OPEN_CREATE`, no migrations, no writer
/// or checkpointer thread. A WAL reader, so it never waits behind a running service's writes
/// (and never makes them wait). Writes (`replay`, `purge`) fail with `.invalidRequest`.
public final class SQLiteReadOnlyStore: ReadOnlyJobStore, QueryingStore {
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
}
