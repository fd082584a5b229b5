import Foundation
import RelayCore
import Synchronization

/// The PostgreSQL store's single writer: one thread, one connection, group commit. It takes every
/// waiting enqueue and finish and commits them in ONE transaction (the new jobs in one multi-row
/// insert, dedupe keys claimed in one statement), then completes each item only after `COMMIT`
/// returned. A batch that made jobs ready sends one `NOTIFY` inside that transaction (delivered to
/// every node's listener on commit). A store-wide failure (unreachable, shut down, read-only after a
/// failover) fails the whole batch with `.unavailable`; the next batch reconnects (with backoff).
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

    /// One transaction; results are set on the items only once `COMMIT` returned. Returns whether
    /// it made jobs ready.
    private func commit(_ batch: [PGWriteItem]) throws(PGError) -> Bool {
        do {
            try connection.exec("BEGIN")
        } catch  where error.connectionLost {
            try connection.exec("BEGIN")  // a connection the server dropped while idle: once more, fresh
        }
        // Jobs' times move onto the database's clock (caller-clock mode: they stay).
        var shift: Int64 = 0
        if settings.databaseClock { shift = try connection.exec(PGSQL.databaseNow).int64(0, 0) - clock.nowMillis() }
        var enqueues: [PGEnqueueItem] = []
        var finishes: [PGFinishItem] = []
        var receipts: [PGReceiptItem] = []
        for item in batch {
            switch item {
            case .enqueue(let e): enqueues.append(e)
            case .finish(let f): finishes.append(f)
            case .ping: break
            case .receipt(let r): receipts.append(r)
            }
        }
        let enqueued = try insert(enqueues, shift: shift)
        var finished: [FinishResult] = []
        var wake = enqueued.contains { !$0.duplicate }
        for f in finishes {
            let applied =
                try connection.exec(PGDeliverySQL.finish, f.parameters(clockParam: settings.databaseClock ? nil : String(f.now))).count > 0
            finished.append(applied ? .applied : .leaseLost)
            if applied && f.requeues { wake = true }
        }
        var recorded: [ReceiptResult] = []
        for r in receipts {
            let result = try r.record(connection, clockParam: settings.databaseClock ? nil : String(r.receipt.receivedAt))
            recorded.append(result)
            if case .recorded(_, .nextRoute, _) = result { wake = true }
        }
        if wake { try connection.exec(PGSQL.notify) }
        try connection.exec("COMMIT")
        for (item, r) in zip(enqueues, enqueued) { item.result = .success(r) }
        for (item, r) in zip(finishes, finished) { item.result = .success(r) }
        for (item, r) in zip(receipts, recorded) { item.result = .success(r) }
        return wake
    }

    /// Dedupe, then one insert of the batch's new jobs. Within the batch a repeated key is answered
    /// by its first item; keys are claimed in a fixed order, so two nodes' batches cannot deadlock.
    private func insert(_ items: [PGEnqueueItem], shift: Int64) throws(PGError) -> [EnqueueResult] {
        guard !items.isEmpty else { return [] }
        var results = [EnqueueResult?](repeating: nil, count: items.count)
        var keyOf = [String?](repeating: nil, count: items.count)
        var firstOfKey: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            let window = min(item.job.dedupeWindow.wholeMilliseconds, settings.maxDedupeWindowMillis)
            guard window > 0, let k = item.job.dedupeKey, let key = PG.bytea(k) else { continue }
            keyOf[i] = key
            if firstOfKey[key] == nil { firstOfKey[key] = i }
        }
        let reps = firstOfKey.sorted { $0.key < $1.key }
        var isNew = [Bool](repeating: true, count: items.count)
        if !reps.isEmpty {
            let claimed = try connection.exec(
                PGJobsSQL.claimKeys,
                [
                    PG.array(reps.map { $0.key }), PG.array(reps.map { items[$0.value].id }),
                    PG.array(reps.map { String(items[$0.value].job.createdAt + shift) }),
                    PG.array(reps.map { String(items[$0.value].job.createdAt + shift + window(items[$0.value])) }),
                ])
            let owned = Set((0..<claimed.count).map { claimed.string($0, 0) })
            let others = reps.filter { !owned.contains($0.key) }
            if !others.isEmpty {
                let first = try connection.exec(PGJobsSQL.firstJobs, [PG.array(others.map { $0.key })])
                var found: [String: (String, JobStatus)] = [:]
                for r in 0..<first.count {
                    found[first.string(r, 0)] = (first.string(r, 1), JobStatus(rawValue: first.string(r, 2)) ?? .queued)
                }
                for (key, i) in others {
                    guard let (id, status) = found[key] else { continue }  // purged meanwhile: a new job
                    results[i] = EnqueueResult(id: id, status: status, duplicate: true)
                    isNew[i] = false
                }
            }
            for (i, key) in keyOf.enumerated() {
                guard let key, let rep = firstOfKey[key], rep != i else { continue }
                isNew[i] = false
                results[i] = results[rep] ?? EnqueueResult(id: items[rep].id, status: .queued, duplicate: true)
            }
        }
        let fresh = items.indices.filter { isNew[$0] }
        if !fresh.isEmpty {
            let rows = fresh.map { items[$0] }
            func col(_ f: (PGEnqueueItem) -> String?) -> String? { PG.array(rows.map(f)) }
            try connection.exec(
                PGJobsSQL.insert,
                [
                    col { $0.id }, col { $0.job.kind.rawValue }, col { $0.job.channel },
                    col { String($0.job.createdAt + shift) }, col { String($0.job.runAt + shift) },
                    col { String($0.job.expiresAt + shift) }, col { $0.job.recipientMasked },
                    col { PG.bytea($0.job.recipientHash) }, col { PG.bytea($0.job.dedupeKey) },
                    col { keyOfItem($0) == nil ? nil : String($0.job.createdAt + shift + window($0)) },
                    col { PG.bytea($0.payload) }, col { $0.job.language }, col { $0.job.app },
                ])
            for i in fresh { results[i] = EnqueueResult(id: items[i].id, status: .queued, duplicate: false) }
        }
        return results.map { $0! }
    }

    private func window(_ item: PGEnqueueItem) -> Int64 {
        min(item.job.dedupeWindow.wholeMilliseconds, settings.maxDedupeWindowMillis)
    }

    private func keyOfItem(_ item: PGEnqueueItem) -> [UInt8]? {
        window(item) > 0 ? item.job.dedupeKey : nil
    }
}
