/// Limits and tunables of the PostgreSQL store. Connections per node: one for the writer, one for
/// the listener, `poolSize` for everything else (claims, lease renewals and rescues, operator
/// reads, statistics): `poolSize + 2` in all (`docs/deployment.md`).
public struct PostgreSQLOptions: Sendable {
    /// Connections for claims, leases, operations and statistics.
    public var poolSize: Int = 4
    /// Most enqueues and finishes the writer commits in one transaction.
    public var maxBatchSize: Int = 1_024
    /// How long a call waits for a free pooled connection before failing `.unavailable`.
    public var poolWait: Duration = .seconds(5)
    /// The longest dedupe window honoured (longer ones are cut to it).
    public var maxDedupeWindow: Duration = .seconds(300)
    /// Largest page of results `jobs(matching:)` returns.
    public var maxListLimit: Int = 1_000
    /// Most attempts `attemptSummary(since:)` reads (the newest in the window).
    public var maxStatisticsRows: Int = 100_000
    /// Leases, `run_at` and expiry on the database's clock (`now()`), so clock skew between nodes
    /// cannot steal or extend a lease. False takes the callers' `now` instead (tests that drive
    /// time by hand, as the SQLite store does).
    public var databaseClock = true
    /// Dedupe lookups for webhooks the per-identifier limit refused (`findRepeat`) that may wait
    /// at once; past this the refusal stands without a query (a flood costs the database nothing).
    public var maxPendingRepeatLookups = 64
    /// Refuse to open with a data key other than the one the database records (and record it on
    /// first open). Off only for operator reads that have no key and open no payload.
    public var verifyDataKey = true
    /// A transaction left open this long by a node that stopped mid-batch (SIGSTOP, a VM pause) is
    /// ended by the server (`idle_in_transaction_session_timeout`), releasing its row locks, so the
    /// other nodes' rescuers can take its jobs; the paused node's commit then fails.
    public var idleInTransactionTimeout: Duration = .seconds(5)
    /// The serving node (`StoreAccess.owner`, set by `StoreFactory`): it logs at open the server
    /// settings that break its durability or latency promise (`PGServerSettings`), and one error when
    /// notifications never reach its listener (`PGListener`). CLI commands open the store for a moment
    /// and stay quiet about both (a `jobs replay` through a PgBouncer is not a node missing wake-ups).
    public var servingNode = false
    /// A connection string for the listener alone (`database_listen_url`): straight to the server
    /// when the others go through a PgBouncer in transaction mode, where `LISTEN` cannot work.
    /// Nil: the listener uses the store's URL.
    public var listenURL: String?
    /// How long the listener waits for its probe notification after each `LISTEN` before it
    /// reports that notifications do not reach it (`PGListener`).
    public var listenerProbeWait: Duration = .seconds(3)
    /// `application_name` of the node's sessions (`pg_stat_activity`).
    public var applicationName = "otp-relay"

    public init() {}
}

extension PostgreSQLOptions {
    /// What every session of the store sets first.
    var sessionSetup: [String] {
        ["SET idle_in_transaction_session_timeout = \(max(1, idleInTransactionTimeout.wholeMilliseconds))"]
    }
}
