import Dispatch
import RelayCore

/// One finished try for the PostgreSQL writer, committed with the batch it lands in.
extension FinishItem {
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
    case enqueue(EnqueueItem)
    case finish(FinishItem)
    case ping(PGPingItem)
    case receipt(ReceiptItem)

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
        case .enqueue(let i): i.settle(e)
        case .finish(let i): i.settle(e)
        case .ping: break
        case .receipt(let i): i.settle(e)
        }
    }
}
