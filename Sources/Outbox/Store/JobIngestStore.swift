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
}

extension JobIngestStore {
    /// `enqueue` with the completion on the store's writer thread.
    public func enqueue(_ job: NewJob, completion: @escaping @Sendable (Result<EnqueueResult, OutboxError>) -> Void) {
        enqueue(job, executor: nil, completion: completion)
    }
}
