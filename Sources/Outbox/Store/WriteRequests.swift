import RelayCore
import RelayCrypto

/// What a request produced, or why it failed.
struct Outcome<Value> {
    var value: Value?
    private(set) var error: OutboxError?

    mutating func settle(_ error: OutboxError?) {
        guard let error else { return }
        value = nil
        self.error = error
    }

    var result: Result<Value, OutboxError> {
        if let error { return .failure(error) }
        if let value { return .success(value) }
        return .failure(.unavailable("no result"))
    }
}

/// A request that answers through a callback, as both stores' writers take it (`EnqueueItem`,
/// `FinishItem`, `ReceiptItem`): the executor its completion runs on (nil: the writer thread), the
/// completion, and the outcome the writer settles. Each store adds how its writer applies it.
/// `@unchecked Sendable`: `outcome` is written by the writer thread before the item is handed to
/// the executor (the hand-over's lock orders that) and read by `complete()` after.
class CompletingItem<Value>: @unchecked Sendable {
    let executor: (any CompletionExecutor)?
    private let completion: @Sendable (Result<Value, OutboxError>) -> Void
    var outcome = Outcome<Value>()

    init(executor: (any CompletionExecutor)?, completion: @escaping @Sendable (Result<Value, OutboxError>) -> Void) {
        self.executor = executor
        self.completion = completion
    }

    func settle(_ error: OutboxError?) { outcome.settle(error) }

    func complete() { completion(outcome.result) }
}

/// One webhook job. The payload was sealed on the caller's thread, so the writer only runs SQL.
final class EnqueueItem: CompletingItem<EnqueueResult>, @unchecked Sendable {
    let id: String
    let job: NewJob
    let payload: [UInt8]

    /// `job` sealed under a new id (`Payload.sealJob`); nil when the seal failed (then
    /// `completion` was answered).
    init?(
        sealing job: NewJob, ids: JobIDGenerator, keys: KeyRing, logger: Logger, executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (Result<EnqueueResult, OutboxError>) -> Void
    ) {
        let id = ids.next()
        guard let sealed = Payload.sealJob(job, id: id, keys: keys, logger: logger, completion: completion) else { return nil }
        self.id = id
        self.job = sealed.row
        self.payload = sealed.payload
        super.init(executor: executor, completion: completion)
    }
}

/// One non-blocking `finish`: the writer applies it inside its batch transaction like any other
/// item, so many workers' finishes (and the dispatcher's claims) share one commit, and the worker
/// does not wait for it. A lost lease is logged when the completion runs.
final class FinishItem: CompletingItem<FinishResult>, @unchecked Sendable {
    let id: String
    let token: Int64
    let transition: JobTransition
    let attempt: AttemptReport
    let now: Int64

    init(
        id: String, token: Int64, transition: JobTransition, attempt: AttemptReport, now: Int64,
        executor: any CompletionExecutor, logger: Logger,
        completion: @escaping @Sendable (Result<FinishResult, OutboxError>) -> Void
    ) {
        self.id = id
        self.token = token
        self.transition = transition
        self.attempt = attempt
        self.now = now
        super.init(executor: executor) { result in
            if case .success(.leaseLost) = result {
                logger.warning("outbox finish refused: lease lost", ["job_id": .string(id)])
            }
            completion(result)
        }
    }
}

/// One receipt, batched with everything else; completes on its executor (the request's event
/// loop) or on the writer thread.
final class ReceiptItem: CompletingItem<ReceiptResult>, @unchecked Sendable {
    let receipt: Receipt
    let decide: @Sendable (ReceiptTarget) -> ReceiptTransition

    init(
        receipt: Receipt, executor: (any CompletionExecutor)?, decide: @escaping @Sendable (ReceiptTarget) -> ReceiptTransition,
        completion: @escaping @Sendable (Result<ReceiptResult, OutboxError>) -> Void
    ) {
        self.receipt = receipt
        self.decide = decide
        super.init(executor: executor, completion: completion)
    }

    /// The one way a receipt is recorded, inside the writer's transaction; each store gives its
    /// statements. The attempt that got the provider message id, with its job (nil: unknown
    /// message); a repeat of the same receipt changes nothing; else `decide` says the move, a move
    /// the job's status no longer allows (`move` changed no row) counts as none, and the receipts
    /// row records what it did.
    func record<Failure: Error>(
        target: () throws(Failure) -> (target: ReceiptTarget, attempt: Int)?,
        seen: () throws(Failure) -> Bool,
        move: (ReceiptTransition, _ jobID: String) throws(Failure) -> Int,
        insert: (_ jobID: String, _ attempt: Int, _ effect: String) throws(Failure) -> Void
    ) throws(Failure) -> ReceiptResult {
        guard let (target, attempt) = try target() else { return .unknownMessage }
        if try seen() { return .duplicate(jobID: target.jobID) }
        var transition = decide(target)
        if try move(transition, target.jobID) == 0 { transition = .none }
        try insert(target.jobID, attempt, transition.effect)
        return .recorded(jobID: target.jobID, transition: transition, createdAt: target.createdAt)
    }
}

/// A store whose writer thread takes the callback requests (both stores): ingest, non-blocking
/// finishes and receipts are built here the one way, and refused with `.unavailable` once the
/// writer is closed.
protocol ItemWritingStore: JobIngestStore, JobDeliveryStore, JobReceiptStore {
    var ids: JobIDGenerator { get }
    var keys: KeyRing { get }
    var logger: Logger { get }
    /// Where finishes complete (a serial queue of the writer's).
    var finishExecutor: any CompletionExecutor { get }
    /// Hands `item` to the writer; false once it is closed.
    func submit(_ item: EnqueueItem) -> Bool
    func submit(_ item: FinishItem) -> Bool
    func submit(_ item: ReceiptItem) -> Bool
}

extension ItemWritingStore {
    public func enqueue(
        _ job: NewJob, executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (Result<EnqueueResult, OutboxError>) -> Void
    ) {
        guard let item = EnqueueItem(sealing: job, ids: ids, keys: keys, logger: logger, executor: executor, completion: completion)
        else { return }
        if !submit(item) { completion(.failure(.unavailable("outbox is closed"))) }
    }

    /// Non-blocking: the completion runs on the writer's finish queue once the batch holding it
    /// committed (`.leaseLost` when the lease was lost, logged).
    public func finish(
        id: String, token: Int64, transition: JobTransition, attempt: AttemptReport, now: Int64,
        completion: @escaping @Sendable (Result<FinishResult, OutboxError>) -> Void
    ) {
        let item = FinishItem(
            id: id, token: token, transition: transition, attempt: attempt, now: now, executor: finishExecutor, logger: logger,
            completion: completion)
        if !submit(item) { completion(.failure(.unavailable("outbox is closed"))) }
    }

    public func recordReceipt(
        _ receipt: Receipt, executor: (any CompletionExecutor)?,
        decide: @escaping @Sendable (ReceiptTarget) -> ReceiptTransition,
        completion: @escaping @Sendable (Result<ReceiptResult, OutboxError>) -> Void
    ) {
        let item = ReceiptItem(receipt: receipt, executor: executor, decide: decide, completion: completion)
        if !submit(item) { completion(.failure(.unavailable("outbox is closed"))) }
    }
}
