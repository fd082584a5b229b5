import RelayCore

/// The outbox as the rest of the service sees it. SQLite today (`SQLiteOutbox`); a PostgreSQL store
/// (`FOR UPDATE SKIP LOCKED`, `LISTEN/NOTIFY`) can implement the same protocol later, so SQL stays
/// inside the implementations. All times are epoch milliseconds.
public protocol OutboxStore: AnyObject, Sendable {
    /// Returns at once; `completion` runs after the job is durably committed, with the new id, or
    /// the first job's id and current status for a repeat inside the dedupe window, or
    /// `.unavailable` when the store cannot commit (full, I/O error, locked, closed). It runs on
    /// `executor` when one is given (the caller's event loop: the writer hands each executor its
    /// batch's completions at once), otherwise on the store's writer thread (keep it short).
    func enqueue(
        _ job: NewJob, executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (Result<EnqueueResult, OutboxError>) -> Void)

    /// Called after every commit that made jobs ready to claim (enqueue, retry, replay, rescue), so
    /// workers wake without polling. Runs on the writer thread: it must not block (signal a
    /// semaphore or condition and return).
    func addCommitObserver(_ observer: @escaping @Sendable () -> Void)

    // MARK: delivery (blocking; call from worker threads)

    /// Leases up to `limit` queued jobs with `run_at <= now` (oldest first) until `now + leaseMillis`
    /// under a new fencing token, and opens their payloads. Queued jobs past expiry are expired first.
    func claim(limit: Int, leaseMillis: Int64, now: Int64) throws(OutboxError) -> [ClaimedJob]
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
    /// Extends a lease still held under `token`; false when it was lost.
    func renewLease(id: String, token: Int64, leaseMillis: Int64, now: Int64) throws(OutboxError) -> Bool
    /// Returns jobs leased under `tokens` to `queued` without counting a try (shutdown).
    func releaseLeases(tokens: [Int64], now: Int64) throws(OutboxError) -> Int
    /// Returns `sending` jobs whose lease ran out to `queued`, counting a try (at-least-once).
    func rescueExpiredLeases(now: Int64) throws(OutboxError) -> Int
    /// Moves queued and dead jobs past `expires_at` to `expired` and erases their payloads.
    func expireDue(now: Int64) throws(OutboxError) -> Int
    /// The earliest `run_at` of a queued job, for the worker timer.
    func nextRunAt() throws(OutboxError) -> Int64?
    /// The earliest `lease_until` of a sending job, for the rescue timer.
    func nextLeaseExpiry() throws(OutboxError) -> Int64?

    // MARK: operations

    /// Moves dead jobs (not expired, payload kept) back to `queued` on the first rung, recording
    /// who and why.
    func replay(ids: [String], actor: String, reason: String, now: Int64) throws(OutboxError) -> [(id: String, result: ReplayResult)]
    func job(id: String) throws(OutboxError) -> JobRecord?
    func jobs(matching filter: JobFilter) throws(OutboxError) -> [JobRecord]
    func attempts(jobID: String) throws(OutboxError) -> [AttemptRecord]
    /// Job counts per status (every status present, zero when none), optionally for one channel.
    func countsByStatus(channel: String?) throws(OutboxError) -> [JobStatus: Int]
    /// Attempts since `since` per channel, provider and outcome, with latency percentiles.
    func attemptSummary(since: Int64) throws(OutboxError) -> [AttemptSummary]
    /// The newest attempts that did not end in `sent`.
    func recentFailures(limit: Int) throws(OutboxError) -> [AttemptRecord]
    /// Deletes sent and expired jobs created before `createdBefore` (retention), at most `limit`.
    func purge(createdBefore: Int64, limit: Int) throws(OutboxError) -> Int

    /// Commits what was already accepted, then stops; later calls fail with `.unavailable`.
    func close()
}

extension OutboxStore {
    /// `enqueue` with the completion on the store's writer thread.
    public func enqueue(_ job: NewJob, completion: @escaping @Sendable (Result<EnqueueResult, OutboxError>) -> Void) {
        enqueue(job, executor: nil, completion: completion)
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
