import Foundation
import RelayCore
import Synchronization

/// The PostgreSQL store's single writer: one thread, one connection, group commit. It takes every
/// waiting enqueue, finish and receipt and commits them in ONE transaction, sent in one round trip
/// (pipeline mode): the new jobs and their dedupe keys in one statement, the finishes in another,
/// then completes each item only after `COMMIT` returned. A batch that may make jobs ready sends
/// one `NOTIFY` inside that transaction (delivered to every node's listener on commit). A
/// store-wide failure (unreachable, shut down, read-only after a failover) fails the whole batch
/// with `.unavailable`; the next batch reconnects (with backoff).
/// An item failing on its own (a constraint) is found by committing the batch item by item.
///
/// No transaction is ever open across a provider call: items carry finished tries only.
/// `@unchecked Sendable`: `pending` is guarded by `thread`'s lock; `connection` is the thread's.
final class PGWriter: @unchecked Sendable {
    private let thread = ConditionThread(name: "pg-writer", drainsOnStop: true)
    private var pending: [PGWriteItem] = []
    private let connection: PGConnection
    private let settings: Settings
    private let clock: any WallClock
    private let logger: Logger
    private let observers: @Sendable () -> Void
    let finishQueue = QueueExecutor(label: "pg-finishes")

    let batchesCommitted = Atomic<Int>(0)
    let itemsCommitted = Atomic<Int>(0)
    let batchesFailed = Atomic<Int>(0)
    let lastBatchFailed = Atomic<Bool>(false)

    struct Settings {
        var maxBatchSize: Int
        var maxDedupeWindowMillis: Int64
        var databaseClock: Bool
    }

    init(
        connection: PGConnection, settings: Settings, clock: any WallClock, logger: Logger,
        observers: @escaping @Sendable () -> Void
    ) {
        self.connection = connection
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.observers = observers
    }

    func start() {
        thread.start { [self] in
            while let batch = thread.nextWork(hasWork: { !pending.isEmpty }, take: takeBatch) { process(batch) }
            connection.close()
        }
    }

    func submit(_ item: PGWriteItem) -> Bool {
        thread.offer {
            pending.append(item)
            return pending.count == 1
        }
    }

    /// True once the writer thread took an empty item (false when it is stopped); blocks while it is wedged.
    func ping() -> Bool {
        let item = PGPingItem()
        guard submit(.ping(item)) else { return false }
        item.done.wait()
        return true
    }

    /// Refuses new items, commits those already accepted, then stops.
    func stop() { thread.stop() }

    private func takeBatch() -> [PGWriteItem] {
        let n = min(pending.count, max(1, settings.maxBatchSize))
        defer { pending.removeFirst(n) }
        return Array(pending.prefix(n))
    }

    private func process(_ batch: [PGWriteItem]) {
        if batch.allSatisfy({ if case .ping = $0 { true } else { false } }) { return complete(batch) }
        do throws(PGError) {
            let wake = try commit(batch)
            batchesCommitted.add(1, ordering: .relaxed)
            itemsCommitted.add(batch.count, ordering: .relaxed)
            lastBatchFailed.store(false, ordering: .relaxed)
            complete(batch)
            if wake { observers() }
        } catch  where !error.isStoreWide && batch.count > 1 {
            for item in batch { process([item]) }
        } catch {
            connection.rollbackIfNeeded()
            batchesFailed.add(1, ordering: .relaxed)
            lastBatchFailed.store(true, ordering: .relaxed)
            logger.error("outbox batch failed", ["error": .string(error.description), "items": .int(Int64(batch.count))])
            let e = OutboxError.from(error)
            for item in batch { item.fail(e) }
            complete(batch)
        }
    }

    /// Hands completions to their executors, one hand-over per executor.
    private func complete(_ batch: [PGWriteItem]) {
        var groups: [(executor: any CompletionExecutor, items: [any DeferredCompletion])] = []
        for item in batch {
            guard let ex = item.executor else {
                item.completion.complete()
                continue
            }
            if let i = groups.firstIndex(where: { $0.executor === ex }) {
                groups[i].items.append(item.completion)
            } else {
                groups.append((ex, [item.completion]))
            }
        }
        for g in groups { g.executor.execute(g.items) }
    }

    /// One transaction, in one round trip when the batch holds no receipt (libpq pipeline mode:
    /// `BEGIN`, the enqueue statement, the finish statements, `NOTIFY`, `COMMIT`, one Sync).
    /// Results are set on the items only once `COMMIT` returned. Returns whether it made jobs ready.
    ///
    /// The `NOTIFY` is decided before the results are read: it goes with every batch that may
    /// make jobs ready (a new job, a finish that requeues, a receipt moving a job to the next
    /// rung), so a batch of repeats only, or of requeues whose lease was lost, wakes the other
    /// nodes for nothing; this node's workers are woken only for what committed.
    private func commit(_ batch: [PGWriteItem]) throws(PGError) -> Bool {
        connection.rollbackIfNeeded()  // a batch that failed item by item left its transaction failed
        var enqueueItems: [EnqueueItem] = []
        var finishItems: [FinishItem] = []
        var receipts: [ReceiptItem] = []
        for item in batch {
            switch item {
            case .enqueue(let e): enqueueItems.append(e)
            case .finish(let f): finishItems.append(f)
            case .ping: break
            case .receipt(let r): receipts.append(r)
            }
        }
        let enqueues = PGEnqueueBatch(enqueueItems, maxDedupeWindowMillis: settings.maxDedupeWindowMillis)
        let finishes = PGFinishBatch(finishItems)
        var steps = [PGStatement("BEGIN")]
        let enqueue = enqueues.statement(writerNow: settings.databaseClock ? clock.nowMillis() : nil)
        if let enqueue { steps.append(enqueue) }
        let firstFinish = steps.count
        steps += finishes.statements(databaseClock: settings.databaseClock)
        let mayWake = enqueue != nil || finishItems.contains { $0.requeues }
        let tail = [mayWake ? PGStatement(PGSQL.notify) : nil, PGStatement("COMMIT")].compactMap { $0 }
        if receipts.isEmpty { steps += tail }
        let results = try connection.pipeline(steps)
        let (enqueued, inserted) = enqueues.results(enqueue == nil ? nil : results[1])
        var wake = inserted
        var finished: [ObjectIdentifier: FinishResult] = [:]
        for (n, round) in finishes.rounds.enumerated() {
            for (item, r) in zip(round, PGFinishBatch.results(round, results[firstFinish + n])) {
                finished[ObjectIdentifier(item)] = r
                if r == .applied && item.requeues { wake = true }
            }
        }
        var recorded: [ReceiptResult] = []
        if !receipts.isEmpty {
            for r in receipts {
                let result = try r.record(connection, clockParam: settings.databaseClock ? nil : String(r.receipt.receivedAt))
                recorded.append(result)
                if case .recorded(_, .nextRoute, _) = result { wake = true }
            }
            let notify = wake && !mayWake ? [PGStatement(PGSQL.notify)] : []
            _ = try connection.pipeline(notify + tail)
        }
        for (item, r) in zip(enqueueItems, enqueued) { item.outcome.value = r }
        for item in finishItems { item.outcome.value = finished[ObjectIdentifier(item)] ?? .leaseLost }
        for (item, r) in zip(receipts, recorded) { item.outcome.value = r }
        return wake
    }
}
