import RelayCore

/// Delivering jobs (the worker pool): leases under fencing tokens, one recorded try per finish.
/// Blocking calls: run them on worker threads, never on an event loop. A store shared by several
/// nodes claims with `FOR UPDATE SKIP LOCKED` and takes `now` from the database for leases.
public protocol JobDeliveryStore: AnyObject, Sendable {
    /// Called after every commit that made jobs ready to claim (enqueue, retry, replay, rescue; on
    /// a shared store also another node's, by `LISTEN/NOTIFY`), so workers wake without polling.
    /// It must not block (signal a semaphore or condition and return): it runs on a store thread.
    func addCommitObserver(_ observer: @escaping @Sendable () -> Void)

    /// Leases up to `limit` queued jobs with `run_at <= now` (oldest first) for `lease` under a
    /// new fencing token, and opens their payloads. Queued jobs past expiry are expired first.
    func claim(limit: Int, lease: Duration, now: Int64) throws(OutboxError) -> [ClaimedJob]
    /// Records one try and moves the job, only if it still holds `token` (fencing).
    func finish(
        id: String, token: Int64, transition: JobTransition, attempt: AttemptReport,
        now: Int64
    ) throws(OutboxError) -> FinishResult
    /// `finish` without waiting: returns at once, and `completion` runs once the try is durably
    /// committed (`.applied`, or `.leaseLost` when the token no longer holds the job) or could not
    /// be (`.unavailable`: nothing of it was written, the caller may submit it again). Many
    /// callers' finishes share one commit. Runs on the store's completion queue, in commit order:
    /// keep it short and do not block on the store from it.
    func finish(
        id: String, token: Int64, transition: JobTransition, attempt: AttemptReport, now: Int64,
        completion: @escaping @Sendable (Result<FinishResult, OutboxError>) -> Void)
    /// Extends a lease still held under `token` to `now + lease`; false when it was lost.
    func renewLease(id: String, token: Int64, lease: Duration, now: Int64) throws(OutboxError) -> Bool
    /// Extends every lease of `leases` still held under its token to `now + lease`, in one
    /// transaction; returns the ids of the jobs still held (the others were lost).
    func renewLeases(_ leases: [HeldLease], lease: Duration, now: Int64) throws(OutboxError) -> Set<String>
    /// Returns jobs leased under `tokens` to `queued` without counting a try (shutdown).
    func releaseLeases(tokens: [Int64], now: Int64) throws(OutboxError) -> Int
    /// Returns `sending` jobs whose lease ran out to `queued`, counting a try (at-least-once);
    /// a job whose tries (this one included) reach `maxAttempts` ends `dead` instead.
    func rescueExpiredLeases(now: Int64, maxAttempts: Int) throws(OutboxError) -> Int
    /// Moves queued and dead jobs past `expires_at` to `expired` and erases their payloads.
    func expireDue(now: Int64) throws(OutboxError) -> Int
    /// The earliest `run_at` of a queued job, for the worker timer.
    func nextRunAt() throws(OutboxError) -> Int64?
    /// The earliest `lease_until` of a sending job, for the rescue timer.
    func nextLeaseExpiry() throws(OutboxError) -> Int64?
}

/// A job's lease as its holder knows it: the job and the fencing token it was claimed under.
public struct HeldLease: Sendable, Hashable {
    public let id: String
    public let token: Int64

    public init(id: String, token: Int64) {
        self.id = id
        self.token = token
    }
}

extension JobDeliveryStore {
    /// A rescue without an attempt budget (tests, tools): every expired lease goes back to `queued`.
    public func rescueExpiredLeases(now: Int64) throws(OutboxError) -> Int {
        try rescueExpiredLeases(now: now, maxAttempts: Int.max)
    }

    /// For stores without a batching writer: the blocking `finish`, then the completion.
    public func finish(
        id: String, token: Int64, transition: JobTransition, attempt: AttemptReport, now: Int64,
        completion: @escaping @Sendable (Result<FinishResult, OutboxError>) -> Void
    ) {
        do throws(OutboxError) {
            completion(.success(try finish(id: id, token: token, transition: transition, attempt: attempt, now: now)))
        } catch {
            completion(.failure(error))
        }
    }
}
