import Dispatch
import RelayCore

/// A unit of work the writer thread runs inside its batch transaction. `apply` must be atomic on
/// its own (one statement, or `WriterContext.atomically`) so a failing item leaves nothing behind
/// while the rest of the batch commits. `apply` and `settle` run on the writer thread.
///
/// After the batch the writer settles each item (records its outcome) and then completes it: on
/// the item's `executor` when it has one (the webhook's event loop, the finish queue), otherwise
/// at once on the writer thread (blocking operations waking their caller).
protocol WriteItem: DeferredCompletion {
    func apply(_ context: WriterContext) throws(SQLiteError)
    /// Records the outcome: nil when the batch committed, else why the item failed (on its own, or
    /// because the batch could not commit).
    func settle(_ error: OutboxError?)
    /// Whether committing this item made jobs ready to claim (wakes workers).
    var wakesWorkers: Bool { get }
    /// Where `complete()` runs; nil for the writer thread.
    var executor: (any CompletionExecutor)? { get }
    /// Whether the item must survive a power cut once committed (`synchronous=FULL`: the WAL is
    /// fsynced at commit). Claims, lease renewals and finishes need not: one lost to a power cut
    /// only means the job is sent again (at-least-once), so a batch of nothing else commits with
    /// `synchronous=NORMAL` (no fsync on the delivery path; still atomic and consistent, and the
    /// next durable commit's fsync covers its frames too).
    var durable: Bool { get }
}

extension WriteItem {
    var executor: (any CompletionExecutor)? { nil }
    var durable: Bool { true }
}

/// Runs completions on a serial queue (finish completions, which update the worker pool).
final class QueueExecutor: CompletionExecutor {
    private let queue: DispatchQueue

    init(label: String) { queue = DispatchQueue(label: label) }

    func execute(_ batch: [any DeferredCompletion]) {
        queue.async { for c in batch { c.complete() } }
    }
}

/// A blocking operation run by the writer (claims, finishes, replays…).
/// `@unchecked Sendable`: `outcome` is written on the writer thread before `done` is signalled and
/// read by the waiting caller only after it, so the semaphore orders every access.
final class WriteOperation<T>: WriteItem, @unchecked Sendable {
    private let body: (WriterContext) throws(SQLiteError) -> T
    private let wakes: (T) -> Bool
    private var outcome = Outcome<T>()
    private let done = DispatchSemaphore(value: 0)
    let durable: Bool

    init(
        durable: Bool = true, wakes: @escaping (T) -> Bool = { _ in false },
        _ body: @escaping (WriterContext) throws(SQLiteError) -> T
    ) {
        self.body = body
        self.wakes = wakes
        self.durable = durable
    }

    func apply(_ context: WriterContext) throws(SQLiteError) {
        outcome.value = try body(context)
    }

    func settle(_ error: OutboxError?) { outcome.settle(error) }

    func complete() { done.signal() }

    var wakesWorkers: Bool { outcome.value.map(wakes) ?? false }

    func wait() -> Result<T, OutboxError> {
        done.wait()
        return outcome.result
    }
}

/// One webhook job. With an executor (the caller's event loop) the completion runs there, after
/// the writer handed it over; otherwise on the writer thread.
extension EnqueueItem: WriteItem {
    func apply(_ context: WriterContext) throws(SQLiteError) {
        outcome.value = try context.insert(self)
    }

    var wakesWorkers: Bool { outcome.value.map { !$0.duplicate } ?? false }
}
