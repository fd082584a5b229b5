import RelayCore
import RelayCrypto

/// Which store to open and where: the one place that names a store implementation. A PostgreSQL
/// store adds its case here (`database_url`), and every caller keeps holding the protocols.
public enum StoreLocation: Sendable, Equatable {
    /// The embedded SQLite file (created and migrated on open).
    case sqlite(path: String)
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
    ///   - access: `.owner` for the delivering service (exclusive), `.shared` for operator writes.
    public static func open(
        _ location: StoreLocation, keys: KeyRing, clock: any WallClock = SystemClock(), logger: Logger,
        options: OutboxOptions = OutboxOptions(), access: StoreAccess = .shared
    ) throws(OutboxError) -> any OutboxStore {
        switch location {
        case .sqlite(let path):
            try SQLiteOutbox(path: path, keys: keys, clock: clock, logger: logger, options: options, access: access)
        }
    }

    /// Opens the existing store at `location` for reading only (the CLI's `jobs list`, `jobs show`,
    /// `stats`): never creates it, never migrates it, never takes a write lock, so it reads while
    /// the service writes. Throws `.startup` ("no database at PATH") when there is none.
    public static func openReadOnly(
        _ location: StoreLocation, options: OutboxOptions = OutboxOptions()
    ) throws(OutboxError) -> any ReadOnlyJobStore {
        switch location {
        case .sqlite(let path): try SQLiteReadOnlyStore(path: path, options: options)
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
        }
    }

    /// A consistent copy of the store at `location` into the file `destination`, taken beside a
    /// running service: integrity-checked, 0600, written under a temporary name and renamed. An
    /// existing `destination` is replaced only with `force`. The copy holds the payloads sealed: the
    /// data key is not in it. A store that is not a file (PostgreSQL) is backed up by its own tools.
    public static func backup(_ location: StoreLocation, to destination: String, force: Bool) throws(OutboxError) -> BackupReport {
        switch location {
        case .sqlite(let path): try SQLiteBackup.run(source: path, destination: destination, force: force)
        }
    }

    /// Applies pending schema migrations at `location` (creating the store); returns the names of
    /// the migrations applied by this call.
    public static func migrate(_ location: StoreLocation, now: Int64) throws(OutboxError) -> [String] {
        switch location {
        case .sqlite(let path): try OutboxMigrations.migrate(path: path, now: now)
        }
    }
}
