import RelayCore

/// The whole store, as the service builds it: every use's protocol plus a lifecycle. SQLite today
/// (`SQLiteOutbox`, built by `StoreFactory`); a PostgreSQL store implements the same protocols, so
/// SQL stays inside the implementations and callers hold only the protocol of their use:
///
/// | protocol | used by | requirements |
/// |---|---|---|
/// | `JobIngestStore` | webhook, KYC ingest | `enqueue` |
/// | `JobDeliveryStore` | worker pool, finish queue | claim, renew, finish, release, rescue, expire, timers, wake-ups |
/// | `JobOperationsStore` | admin API, CLI, replayer, retention | show, list, attempts, replay, purge |
/// | `JobStatisticsStore` | `/metrics`, status page, `/readyz`, `stats` | counts, summaries, writer health |
/// | `JobReceiptStore` | receipt endpoints; `JobReceiptReader`: admin API, `jobs show` | record a receipt, list them |
///
/// Points in time are epoch milliseconds (`Int64`, the columns' unit); lengths of time are
/// `Duration`. A store whose clock is the database's (PostgreSQL's `now()`) may ignore the `now`
/// it is given for leases, `run_at` and expiry; SQLite uses it as the single clock.
public protocol OutboxStore: JobIngestStore, JobDeliveryStore, JobOperationsStore, JobStatisticsStore,
    JobReceiptStore, LifecycleComponent
{
    /// Commits what was already accepted, then stops; later calls fail with `.unavailable`.
    /// Idempotent; `shutdown(by:)` does the same by a deadline.
    func close()
    /// Whether the store's writer is alive: it takes a request and answers it (the systemd
    /// watchdog is fed only while it does). May block while the writer is wedged; false once closed.
    func writerResponds() -> Bool
}

extension OutboxStore {
    public var lifecycleName: String { "store" }

    /// Nothing to do: a store runs from its `init` (the CLI uses it without a service group). In a
    /// service group it comes first, so it stops last, after everything that writes to it.
    public func start() {}

    /// `close()`; true when it returned by `deadline` (what was accepted is committed either way).
    public func shutdown(by deadline: Deadline) -> Bool {
        close()
        return ContinuousClock.now <= deadline
    }

    /// A store without a writer thread of its own has nothing to hang.
    public func writerResponds() -> Bool { true }
}

/// A store opened for reading only (`StoreFactory.openReadOnly`): the queries of operations and
/// statistics; `replay` and `purge` fail with `.invalidRequest`.
public protocol ReadOnlyJobStore: JobOperationsStore, JobStatisticsStore, JobReceiptReader {
    /// Closes the connection; later calls fail with `.unavailable`. Idempotent.
    func close()
}
