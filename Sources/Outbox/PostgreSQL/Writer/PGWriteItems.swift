import Dispatch
import RelayCore

/// One webhook job for the PostgreSQL writer (payload sealed on the caller's thread).
/// `@unchecked Sendable`: `result` is written by the writer thread before the item is handed to its
/// executor (the hand-over's lock orders that) and read by `complete()` after.
final class PGEnqueueItem: DeferredCompletion, @unchecked Sendable {
    let id: String
    let job: NewJob
    let payload: [UInt8]
    let executor: (any CompletionExecutor)?
    private let completion: @Sendable (Result<EnqueueResult, OutboxError>) -> Void
    var result: Result<EnqueueResult, OutboxError> = .failure(.unavailable("no result"))

    init(
        id: String, job: NewJob, payload: [UInt8], executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (Result<EnqueueResult, OutboxError>) -> Void
    ) {
        self.id = id
        self.job = job
        self.payload = payload
        self.executor = executor
        self.completion = completion
    }

    func complete() { completion(result) }
}

/// One finished try for the PostgreSQL writer, committed with the batch it lands in.
/// `@unchecked Sendable`: as `PGEnqueueItem`.
final class PGFinishItem: DeferredCompletion, @unchecked Sendable {
    let id: String
    let token: Int64
    let transition: JobTransition
    let attempt: AttemptReport
    let now: Int64
    let executor: (any CompletionExecutor)?
    private let completion: @Sendable (Result<FinishResult, OutboxError>) -> Void
    var result: Result<FinishResult, OutboxError> = .failure(.unavailable("no result"))

    init(
        id: String, token: Int64, transition: JobTransition, attempt: AttemptReport, now: Int64,
        executor: (any CompletionExecutor)?, completion: @escaping @Sendable (Result<FinishResult, OutboxError>) -> Void
    ) {
        self.id = id
        self.token = token
        self.transition = transition
        self.attempt = attempt
        self.now = now
        self.executor = executor
        self.completion = completion
    }

    func complete() { completion(result) }

    /// A retry or next-route makes its job ready again, and an acceptance with a fallback time
    /// sets a new `nextRunAt`: both wake workers (on every node).
    var requeues: Bool {
        switch transition {
        case .retry, .nextRoute: true
        case .accepted(let fallbackAt): fallbackAt != nil
        default: false
        }
    }

    /// This try's element of each array of `PGDeliverySQL.finish` (`$1`…`$20`).
    var row: [String?] {
        let a = attempt
        var status: JobStatus, erase = false, sent = false
        var lastError: String? = a.errorMessage ?? a.errorClass
        var runAt: Int64?, step: Int?, fallbackAt: Int64?
        switch transition {
        case .sent: status = .sent; erase = true; sent = true; lastError = nil
        case .accepted(let at): status = .sent; sent = true; lastError = nil; fallbackAt = at
        case .retry(let at): status = .queued; runAt = at
        case .nextRoute(let s, let at): status = .queued; runAt = at; step = s
        case .dead(let reason): status = .dead; lastError = reason
        case .expired: status = .expired; erase = true; lastError = lastError ?? "expired"
        }
        return [
            id, String(token), status.rawValue, a.provider, lastError, PG.int(runAt), String(now), PG.int(step), PG.bool(erase),
            PG.bool(sent), a.channel, String(a.startedAt), String(a.finishedAt), a.outcome.rawValue, PG.int(a.httpStatus),
            PG.int(a.smtpStatus), a.providerMessageID, a.errorClass, a.errorMessage, PG.int(fallbackAt),
        ]
    }
}

/// An empty item (the systemd watchdog's liveness check): answered when the writer takes it.
final class PGPingItem: DeferredCompletion, Sendable {
    let done = DispatchSemaphore(value: 0)
    func complete() { done.signal() }
}

enum PGWriteItem {
    case enqueue(PGEnqueueItem)
    case finish(PGFinishItem)
    case ping(PGPingItem)
    case receipt(PGReceiptItem)

    var completion: any DeferredCompletion {
        switch self {
        case .enqueue(let e): e
        case .finish(let f): f
        case .ping(let p): p
        case .receipt(let r): r
        }
    }

    var executor: (any CompletionExecutor)? {
        switch self {
        case .enqueue(let e): e.executor
        case .finish(let f): f.executor
        case .ping: nil
        case .receipt(let r): r.executor
        }
    }

    func fail(_ e: OutboxError) {
        switch self {
        case .enqueue(let i): i.result = .failure(e)
        case .finish(let i): i.result = .failure(e)
        case .ping: break
        case .receipt(let i): i.result = .failure(e)
        }
    }
}
