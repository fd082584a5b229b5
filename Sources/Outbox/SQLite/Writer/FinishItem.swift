import RelayCore

/// One non-blocking `finish` (`SQLiteOutbox.finish(…, completion:)`): the writer applies it inside
/// its batch transaction like any other item, so many workers' finishes (and the dispatcher's
/// claims) share one commit, and the worker does not wait for it.
final class FinishItem: CompletingItem<FinishResult>, WriteItem, @unchecked Sendable {
    let id: String
    let token: Int64
    let transition: JobTransition
    let attempt: AttemptReport
    let now: Int64

    init(
        id: String, token: Int64, transition: JobTransition, attempt: AttemptReport, now: Int64,
        executor: any CompletionExecutor, completion: @escaping @Sendable (Result<FinishResult, OutboxError>) -> Void
    ) {
        self.id = id
        self.token = token
        self.transition = transition
        self.attempt = attempt
        self.now = now
        super.init(executor: executor, completion: completion)
    }

    func apply(_ context: WriterContext) throws(SQLiteError) {
        outcome.value = try context.finish(id: id, token: token, transition: transition, attempt: attempt, now: now)
    }

    /// A finish lost to a power cut leaves the lease to run out: the job is sent again.
    var durable: Bool { false }

    /// A retry or next-route that applied makes its job ready again; an acceptance with a
    /// fallback time gives the dispatcher a new time to wake for.
    var wakesWorkers: Bool {
        guard outcome.value == .applied else { return false }
        switch transition {
        case .retry, .nextRoute, .accepted(fallbackAt: .some): return true
        default: return false
        }
    }
}
