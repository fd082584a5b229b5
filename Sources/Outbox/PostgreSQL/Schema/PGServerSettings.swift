import RelayCore

/// The server settings a node's promise rests on, read once when a serving node opens the store
/// (`docs/deployment.md`, server settings for the WAL). They are the server's (or the role's, the
/// database's) and a node never changes them; it says at start what would break the promise:
/// `fsync`, `full_page_writes` or `synchronous_commit` off (an acknowledged webhook can be lost in a
/// server crash) are errors, a `min_wal_size` under 1 GB a warning (a burst that outruns the
/// recycled WAL segments zero-fills new ones inside `COMMIT`s: 15–30 ms stalls of every webhook in
/// the batch). Read through the node's own session, so a role or database setting counts.
struct PGServerSettings: Equatable {
    var fsync: String
    var fullPageWrites: String
    var synchronousCommit: String
    var minWALBytes: Int64

    static let recommendedMinWALBytes: Int64 = 1 << 30
    static let query = """
        SELECT current_setting('fsync'), current_setting('full_page_writes'), current_setting('synchronous_commit'),
               pg_size_bytes(current_setting('min_wal_size'))
        """

    static func read(_ c: PGConnection) throws(PGError) -> PGServerSettings {
        let r = try c.exec(query)
        return PGServerSettings(
            fsync: r.string(0, 0), fullPageWrites: r.string(0, 1), synchronousCommit: r.string(0, 2), minWALBytes: r.int64(0, 3))
    }

    struct Finding: Equatable {
        let level: LogLevel
        let setting: String
        let value: String
        let consequence: String
    }

    /// What the settings break, errors first.
    var findings: [Finding] {
        var out: [Finding] = []
        func add(_ level: LogLevel, _ setting: String, _ value: String, _ consequence: String) {
            out.append(Finding(level: level, setting: setting, value: value, consequence: consequence))
        }
        if fsync != "on" { add(.error, "fsync", fsync, "a server crash can lose or corrupt acknowledged webhooks") }
        if fullPageWrites != "on" {
            add(.error, "full_page_writes", fullPageWrites, "a crash mid-write can leave torn pages the WAL cannot repair")
        }
        if synchronousCommit == "off" {
            add(.error, "synchronous_commit", "off", "a 200 goes out before its COMMIT is flushed: a server crash loses the last ones")
        }
        if minWALBytes < Self.recommendedMinWALBytes {
            add(
                .warning, "min_wal_size", "\(minWALBytes >> 20)MB",
                "a burst past the recycled WAL segments creates new ones inside COMMITs (15-30 ms stalls): set 1GB or more")
        }
        return out
    }

    /// Reads the settings and logs each finding; a failure to read them is logged, never fatal.
    static func report(_ c: PGConnection, logger: Logger) {
        let settings: PGServerSettings
        do { settings = try read(c) } catch {
            logger.warning("outbox cannot read the PostgreSQL server settings", ["error": .string(error.description)])
            return
        }
        for f in settings.findings {
            logger.log(
                f.level, "outbox PostgreSQL setting breaks a promise of the node (docs/deployment.md)",
                ["setting": .string(f.setting), "value": .string(f.value), "consequence": .string(f.consequence)])
        }
    }
}
