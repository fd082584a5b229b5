import RelayCore

/// Accepting jobs (the webhook and KYC ingest). One durable write per job, batched by the store.
public protocol JobIngestStore: AnyObject, Sendable {
    /// Returns at once; `completion` runs after the job is durably committed, with the new id, or
    /// the first job's id and current status for a repeat inside the dedupe window, or
    /// `.unavailable` when the store cannot commit (full, I/O error, locked, closed).
    /// - Parameters:
    ///   - executor: where `completion` runs (the caller's event loop: the writer hands each
    ///     executor its batch's completions at once); nil for the store's writer thread (keep the
    ///     completion short then).
    func enqueue(
        _ job: NewJob, executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (Result<EnqueueResult, OutboxError>) -> Void)

    /// The first job's id and status when `job`'s dedupe key was accepted inside its window (on
    /// any node sharing the store), nil when it was not or when the store cannot tell without
    /// enqueueing. Asked when the per-identifier limit refuses a webhook: a partner's retry that
    /// reaches another node than the first try must get the first job's id, not a `429`. Returns at
    /// once; `completion` runs on `executor` (nil: on any thread).
    func findRepeat(
        of job: NewJob, executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (Result<EnqueueResult?, OutboxError>) -> Void)
}

extension JobIngestStore {
    /// One node owns the store (SQLite): its limiter already knows every repeat it counted, so
    /// there is nothing to look up.
    public func findRepeat(
        of job: NewJob, executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (Result<EnqueueResult?, OutboxError>) -> Void
    ) {
        completion(.success(nil))
    }

    /// `enqueue` with the completion on the store's writer thread.
    public func enqueue(_ job: NewJob, completion: @escaping @Sendable (Result<EnqueueResult, OutboxError>) -> Void) {
        enqueue(job, executor: nil, completion: completion)
    }
}
