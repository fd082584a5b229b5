import Foundation
import RelayCore
import RelayCrypto

/// Which store to open and where: the one place that names a store implementation; every caller
/// keeps holding the protocols.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// The embedded SQLite file (created and migrated on open).
    case sqlite(path: String)
    /// A PostgreSQL database shared by several nodes (`database_url`): a libpq URI or key=value
    /// connection string, multi-host (`host=a,b target_session_attrs=read-write`) for failover.
    case postgresql(url: String)

    /// For logs and messages: the file, or the connection string with its password masked.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgresql(let url): "PostgreSQL " + StoreLocation.redacted(url)
        }
    }

    /// The connection string without a password (`postgresql://u:***@h/db`, `password=***`).
    public static func redacted(_ url: String) -> String {
        var s = url
        if let scheme = s.range(of: "://"), let at = s[scheme.upperBound...].firstIndex(of: "@") {
            let userinfo = s[scheme.upperBound..<at]
            if let colon = userinfo.firstIndex(of: ":") { s.replaceSubrange(s.index(after: colon)..<at, with: "***") }
        }
        for key in ["password=", "sslpassword="] {
            var from = s.startIndex
            while let r = s.range(of: key, options: .caseInsensitive, range: from..<s.endIndex) {
                let end = s[r.upperBound...].firstIndex { $0 == " " || $0 == "&" } ?? s.endIndex
                s.replaceSubrange(r.upperBound..<end, with: "***")
                from = s.index(r.upperBound, offsetBy: 3)
            }
        }
        return s
    }
}

/// How a process uses the store it opens.
public enum StoreAccess: Sendable, Equatable {
    /// The one process that ingests and delivers (`serve`): holds an exclusive lock on the store
    /// for as long as it is open (a second owner fails to open with `.startup`), and at open
    /// returns to the queue the jobs a previous owner left leased (it is gone: it held the lock).
    case owner
    /// Operator writes beside a running owner (`jobs replay`, `kyc store`), and tests: no lock of
    /// the store's own; the database's locking orders the writes.
    case shared
}

/// Builds the configured store. Callers hold what it returns by protocol (`any OutboxStore`, or
/// one of the smaller protocols of their use), never the implementation.
public enum StoreFactory {
    /// Opens (creating and migrating if needed) the store at `location`; it runs when this returns.
    /// - Parameters:
    ///   - keys: the current key seals new payloads; the ring's keys open stored ones (by key id).
    ///   - options: the SQLite store's tunables (ignored by other stores).
    ///   - access: `.owner` for the delivering service (exclusive on SQLite; on PostgreSQL any
    ///     number of nodes own the queue together), `.shared` for operator writes.
    ///   - postgresql: the PostgreSQL store's tunables (ignored by other stores).
    public static func open(
        _ location: StoreLocation, keys: KeyRing, clock: any WallClock = SystemClock(), logger: Logger,
        options: OutboxOptions = OutboxOptions(), access: StoreAccess = .shared,
        postgresql: PostgreSQLOptions = PostgreSQLOptions()
    ) throws(OutboxError) -> any OutboxStore {
        switch location {
        case .sqlite(let path):
            try SQLiteOutbox(path: path, keys: keys, clock: clock, logger: logger, options: options, access: access)
        case .postgresql(let url):
            try PostgreSQLOutbox(
                url: url, keys: keys, clock: clock, logger: logger, options: pgOptions(postgresql, options, access: access))
        }
    }

    /// The PostgreSQL options, with the choices the caller made in the common options.
    private static func pgOptions(_ pg: PostgreSQLOptions, _ common: OutboxOptions, access: StoreAccess) -> PostgreSQLOptions {
        var o = pg
        o.verifyDataKey = pg.verifyDataKey && common.verifyDataKey
        o.servingNode = pg.servingNode || access == .owner
        return o
    }

    /// Opens the existing store at `location` for reading only (the CLI's `jobs list`, `jobs show`,
    /// `stats`): never creates it, never migrates it, never takes a write lock, so it reads while
    /// the service writes. Throws `.startup` ("no database at PATH") when there is none.
    public static func openReadOnly(
        _ location: StoreLocation, options: OutboxOptions = OutboxOptions()
    ) throws(OutboxError) -> any ReadOnlyJobStore {
        switch location {
        case .sqlite(let path): try SQLiteReadOnlyStore(path: path, options: options)
        case .postgresql(let url): try PostgreSQLReadOnlyStore(url: url)
        }
    }

    /// `open` with a ring of the one key `dataKey`.
    public static func open(
        _ location: StoreLocation, dataKey: DataKey, clock: any WallClock = SystemClock(), logger: Logger,
        options: OutboxOptions = OutboxOptions(), access: StoreAccess = .shared
    ) throws(OutboxError) -> any OutboxStore {
        try open(location, keys: KeyRing(current: dataKey), clock: clock, logger: logger, options: options, access: access)
    }

    /// What the store at `location` records about its data key (nil: no store there yet). Read-only.
    public static func storedKeyState(_ location: StoreLocation) throws(OutboxError) -> StoredKeyState? {
        switch location {
        case .sqlite(let path): try DataKeyCheck.inspect(path: path)
        case .postgresql(let url): try withConnection(url) { c throws(OutboxError) in try PGDataKeyCheck.inspect(c) }
        }
    }

    /// A consistent copy of the store at `location` into the file `destination`, taken beside a
    /// running service: integrity-checked, 0600, written under a temporary name and renamed. An
    /// existing `destination` is replaced only with `force`. The copy holds the payloads sealed: the
    /// data key is not in it. A store that is not a file (PostgreSQL) is backed up by its own tools.
    public static func backup(_ location: StoreLocation, to destination: String, force: Bool) throws(OutboxError) -> BackupReport {
        switch location {
        case .sqlite(let path): try SQLiteBackup.run(source: path, destination: destination, force: force)
        case .postgresql:
            throw .invalidRequest(
                "the PostgreSQL store is backed up by PostgreSQL's own tools (pg_dump, pg_basebackup and WAL archiving; docs/deployment.md)"
            )
        }
    }

    /// Applies pending schema migrations at `location` (creating the store); returns the names of
    /// the migrations applied by this call.
    public static func migrate(_ location: StoreLocation, now: Int64) throws(OutboxError) -> [String] {
        switch location {
        case .sqlite(let path): try OutboxMigrations.migrate(path: path, now: now)
        case .postgresql(let url):
            try withConnection(url) { c throws(OutboxError) in
                let migrator = PGMigrator()
                let applied = try migrator.migrate(c, now: now)
                return migrator.migrations.filter { applied.contains($0.version) }.map { String(format: "%04d_%@", $0.version, $0.name) }
            }
        }
    }

    /// Whether a store exists at `location` (the SQLite file; a reachable PostgreSQL holding the schema).
    public static func exists(_ location: StoreLocation) -> Bool {
        switch location {
        case .sqlite(let path): FileManager.default.fileExists(atPath: path)
        case .postgresql(let url): (try? withConnection(url) { c throws(OutboxError) in try PGDataKeyCheck.inspect(c) }) != nil
        }
    }

    private static func withConnection<T>(_ url: String, _ body: (PGConnection) throws(OutboxError) -> T) throws(OutboxError) -> T {
        let c = PGConnection(conninfo: url)
        defer { c.close() }
        do {
            try c.connection()
        } catch {
            throw .startup("cannot connect to PostgreSQL: \(error)")
        }
        return try body(c)
    }
}
