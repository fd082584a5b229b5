import Dispatch
import RelayCore

/// A unit of work the writer thread runs inside its batch transaction. `apply` must be atomic on
/// its own (one statement, or `WriterContext.atomically`) so a failing item leaves nothing behind
/// while the rest of the batch commits. `apply` and the callbacks run on the writer thread only.
protocol WriteItem: AnyObject, Sendable {
    func apply(_ context: WriterContext) throws(SQLiteError)
    /// After the batch committed.
    func committed()
    /// The item failed on its own, or the batch could not commit.
    func failed(_ error: OutboxError)
    /// Whether committing this item made jobs ready to claim (wakes workers).
    var wakesWorkers: Bool { get }
    /// Whether `committed`/`failed` run on the writer's completion queue (callbacks that do real
    /// work) rather than on the writer thread (waking a blocked caller).
    var completesOnQueue: Bool { get }
    /// For items whose caller gave an executor: records the outcome (nil: committed) and returns
    /// the completion to hand to that executor instead of calling `committed`/`failed` here.
    func handOff(_ error: OutboxError?) -> (any CompletionExecutor, any DeferredCompletion)?
}

extension WriteItem {
    var completesOnQueue: Bool { false }
    func handOff(_ error: OutboxError?) -> (any CompletionExecutor, any DeferredCompletion)? { nil }
}

/// A blocking operation run by the writer (claims, finishes, replays…).
/// `@unchecked Sendable`: `value` and `result` are written on the writer thread before `done` is
/// signalled and read by the waiting caller only after it, so the semaphore orders every access.
final class WriteOperation<T>: WriteItem, @unchecked Sendable {
    private let body: (WriterContext) throws(SQLiteError) -> T
    private let wakes: (T) -> Bool
    private var value: T?
    private var result: Result<T, OutboxError>?
    private let done = DispatchSemaphore(value: 0)

    init(wakes: @escaping (T) -> Bool = { _ in false }, _ body: @escaping (WriterContext) throws(SQLiteError) -> T) {
        self.body = body
        self.wakes = wakes
    }

    func apply(_ context: WriterContext) throws(SQLiteError) {
        value = try body(context)
    }

    func committed() {
        result = value.map { .success($0) } ?? .failure(.unavailable("operation produced no value"))
        done.signal()
    }

    func failed(_ error: OutboxError) {
        value = nil
        result = .failure(error)
        done.signal()
    }

    var wakesWorkers: Bool { value.map(wakes) ?? false }

    func wait() -> Result<T, OutboxError> {
        done.wait()
        return result!
    }
}

/// One webhook job. The payload was sealed on the caller's thread, so the writer only runs SQL.
/// With an executor (the caller's event loop) the completion runs there, after the writer handed
/// it over; otherwise on the writer thread.
/// `@unchecked Sendable`: `result` and `error` are written by the writer thread before the item is
/// handed to the executor (the mailbox's lock orders that) and read by `complete()` after.
final class EnqueueItem: WriteItem, DeferredCompletion, @unchecked Sendable {
    let id: String
    let job: NewJob
    let payload: [UInt8]
    let executor: (any CompletionExecutor)?
    let completion: @Sendable (Result<EnqueueResult, OutboxError>) -> Void
    private var result: EnqueueResult?
    private var error: OutboxError?

    init(id: String, job: NewJob, payload: [UInt8], executor: (any CompletionExecutor)?,
         completion: @escaping @Sendable (Result<EnqueueResult, OutboxError>) -> Void) {
        self.id = id
        self.job = job
        self.payload = payload
        self.executor = executor
        self.completion = completion
    }

    func handOff(_ error: OutboxError?) -> (any CompletionExecutor, any DeferredCompletion)? {
        guard let executor else { return nil }
        if let error {
            result = nil
            self.error = error
        }
        return (executor, self)
    }

    func complete() {
        if let error { failed(error) } else { committed() }
    }

    func apply(_ context: WriterContext) throws(SQLiteError) {
        result = try context.insert(self)
    }

    func committed() {
        if let result { completion(.success(result)) } else { completion(.failure(.unavailable("no result"))) }
    }

    func failed(_ error: OutboxError) {
        result = nil
        completion(.failure(error))
    }

    var wakesWorkers: Bool { result.map { !$0.duplicate } ?? false }

    /// Inline on the writer: a webhook completion only posts a response to its event loop, and a
    /// hop through the completion queue cost more context switches than it saved (measured with
    /// scripts/bench-ingest: 7k → 14k accepts/s on the shared 2-core machine).
    var completesOnQueue: Bool { false }
}
