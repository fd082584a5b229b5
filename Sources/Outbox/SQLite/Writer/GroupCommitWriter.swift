import Foundation
import RelayCore
import Synchronization

/// The single writer: one thread that owns the write connection, takes every waiting request and
/// runs them in ONE `BEGIN IMMEDIATE … COMMIT` (one fsync per batch), then completes each item
/// after the commit returned (on the item's executor, or on this thread). A store-wide failure
/// (full, I/O error, busy) fails the whole batch with `.unavailable` and leaves nothing behind; the
/// next batch tries again, reopening the connection after an I/O error, so the writer recovers on
/// its own once the cause goes away.
///
/// `@unchecked Sendable`: `pending` is guarded by `thread`'s lock (touched only in its `offer` and
/// `nextWork` closures); `context` is used by the writer thread only (and by `SQLiteOutbox.init`
/// before the thread starts; the thread claims it when it starts), checked by its `ThreadOwnership`.
final class GroupCommitWriter: @unchecked Sendable {
    private let thread = ConditionThread(name: "outbox-writer", drainsOnStop: true)
    private var pending: [any WriteItem] = []
    private let context: WriterContext
    private let maxBatchSize: Int
    private let checkpointPages: Int
    private let checkpointer: Checkpointer?
    private let logger: Logger
    private let observers = Mutex<[@Sendable () -> Void]>([])
    /// Finish completions (which update the worker pool) run here, in commit order, so the writer
    /// starts its next batch at once.
    let finishQueue = QueueExecutor(label: "outbox-finishes")
    /// WAL frames when a checkpoint last ran or was requested (writer thread only).
    private var framesAtLastCheckpoint = 0
    /// WAL frames after the last batch (writer thread only): fewer now means the WAL started over.
    private var framesAtLastFrames = 0

    /// Batches committed and items in them (group commit is visible as items > batches).
    let batchesCommitted = Atomic<Int>(0)
    let itemsCommitted = Atomic<Int>(0)
    let batchesFailed = Atomic<Int>(0)
    /// Whether the last batch failed to commit (readiness: the store cannot take writes now).
    let lastBatchFailed = Atomic<Bool>(false)

    init(context: WriterContext, maxBatchSize: Int, checkpointPages: Int, checkpointer: Checkpointer?, logger: Logger) {
        self.context = context
        self.maxBatchSize = max(1, maxBatchSize)
        self.checkpointPages = checkpointPages
        self.checkpointer = checkpointer
        self.logger = logger
    }

    func start() {
        thread.start { [self] in
            context.claimForCurrentThread()
            loop()
        }
    }

    /// Queues an item; false when the writer is stopping (the caller answers `.unavailable`).
    func submit(_ item: any WriteItem) -> Bool {
        thread.offer {
            pending.append(item)
            return pending.count == 1
        }
    }

    /// Runs an operation through the writer and waits for its commit. On the writer thread itself
    /// (an observer or completion calling back) it runs inline in its own transaction.
    func perform<T>(
        durable: Bool = true, wakes: @escaping (T) -> Bool = { _ in false },
        _ body: @escaping (WriterContext) throws(SQLiteError) -> T
    ) -> Result<T, OutboxError> {
        let op = WriteOperation(durable: durable, wakes: wakes, body)
        if isWriterThread {
            var batch: [any WriteItem] = [op]
            process(&batch)
        } else if !submit(op) {
            return .failure(.unavailable("outbox is closed"))
        }
        return op.wait()
    }

    var isWriterThread: Bool { thread.isCurrent }

    /// Sends an empty operation through the writer and waits for its answer (liveness for the
    /// systemd watchdog): true once the thread took it, whatever its commit did (a full disk is
    /// not a hung writer); false when the writer is stopped. Blocks while the writer is wedged.
    func ping() -> Bool {
        let op = WriteOperation<Void> { _ in () }
        guard submit(op) else { return false }
        _ = op.wait()
        return true
    }

    func addObserver(_ f: @escaping @Sendable () -> Void) {
        observers.withLock { $0.append(f) }
    }

    /// Refuses new requests, commits those already accepted, then stops the thread (graceful
    /// shutdown: a webhook request that was accepted still gets its answer).
    func stop() { thread.stop() }

    private func loop() {
        while var batch = thread.nextWork(hasWork: { !pending.isEmpty }, take: takeBatch) {
            process(&batch)
        }
        if context.db != nil && !context.checkpointAtClose() {
            logger.warning("outbox: the WAL could not be checkpointed at close (a reader holds it): keep the -wal file with the database")
        }
        context.close()  // stopping, and everything accepted has been committed
    }

    /// Up to `maxBatchSize` of the pending items, oldest first (under the thread's lock).
    private func takeBatch() -> [any WriteItem] {
        if pending.count <= maxBatchSize {
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        defer { pending.removeFirst(maxBatchSize) }
        return Array(pending.prefix(maxBatchSize))
    }

    /// One transaction for the whole batch; items failing on their own are reported separately.
    /// Empties `batch`, so that completions handed to executors hold the last references to their
    /// items and free them on the executors' threads.
    private func process(_ batch: inout [any WriteItem]) {
        var failedItems: [(any WriteItem, OutboxError)] = []
        var applied: [any WriteItem] = []
        applied.reserveCapacity(batch.count)
        do {
            let db = try context.connection()
            context.dedupe.evict(now: context.clock.nowMillis())
            try context.synchronous(full: batch.contains { $0.durable })
            try db.run(JobsSQL.begin)  // cached statements: no parse per batch
            for item in batch {
                do {
                    try item.apply(context)
                    applied.append(item)
                } catch  where !error.isStoreWide {
                    failedItems.append((item, .invalidRequest(error.description)))
                }
            }
            try db.run(JobsSQL.commit)
            context.dedupe.commit()
        } catch {
            context.db?.rollbackIfNeeded()
            context.dedupe.rollback()
            _ = context.takeErasedPayloads()
            if error.needsReopen { context.close() }
            batchesFailed.add(1, ordering: .relaxed)
            lastBatchFailed.store(true, ordering: .relaxed)
            logger.error(
                "outbox batch failed",
                [
                    "error": .string(error.name), "code": .int(Int64(error.extendedCode)),
                    "items": .int(Int64(batch.count)),
                ])
            let e = OutboxError.unavailable(error.description)
            var completions = Completions()
            for item in batch { completions.add(item, settled: e) }
            applied.removeAll()
            failedItems.removeAll()
            batch.removeAll()
            completions.run()
            return
        }
        batch.removeAll()
        batchesCommitted.add(1, ordering: .relaxed)
        lastBatchFailed.store(false, ordering: .relaxed)
        itemsCommitted.add(applied.count, ordering: .relaxed)
        var completions = Completions()
        var wake = false
        for item in applied {
            completions.add(item, settled: nil)
            wake = wake || item.wakesWorkers
        }
        for (item, e) in failedItems { completions.add(item, settled: e) }
        applied.removeAll()
        failedItems.removeAll()
        completions.run()
        if wake {
            for f in observers.withLock({ $0 }) { f() }
        }
        if context.takeErasedPayloads() { checkpointer?.requestErasure() }
        checkpointIfNeeded()
    }

    /// The background checkpointer copies the WAL each time `checkpointPages` more frames were
    /// appended (not after every batch once the WAL is that long: each run copies and syncs, and
    /// pages rewritten by later batches are copied once per run, so spacing the runs coalesces
    /// them). A passive checkpoint cannot restart the WAL while batches keep appending (SQLite
    /// starts it over only when a write begins with every frame copied), so the writer finishes
    /// the job between batches: once the WAL holds four times `checkpointPages` frames and the
    /// background has just copied all but a few (at most half of `checkpointPages`), the writer
    /// copies those few itself (a short pause of the one writer, not a copy of the whole WAL), and
    /// the next batch starts the WAL over. Past eight times, it does so whatever is left (the
    /// background is behind: a bound on the WAL, as before).
    private func checkpointIfNeeded() {
        guard checkpointPages > 0 else { return }
        let frames = context.walFrames
        if frames < framesAtLastFrames {  // the WAL started over
            framesAtLastCheckpoint = 0
            checkpointer?.state.generation.add(1, ordering: .releasing)
        }
        framesAtLastFrames = frames
        if let reason = writerCheckpoint(frames: frames) {
            if context.checkpointNow() {
                framesAtLastCheckpoint = frames
                switch reason {
                case .alone: break
                case .afterBackfill: checkpointer?.state.writerCheckpointsAfterBackfill.add(1, ordering: .relaxed)
                case .atBound: checkpointer?.state.writerCheckpointsAtBound.add(1, ordering: .relaxed)
                }
            }
        } else if frames - framesAtLastCheckpoint >= checkpointPages {
            checkpointer?.request()
            framesAtLastCheckpoint = frames
        }
    }

    private enum WriterCheckpoint {
        /// No background checkpointer: the writer does every checkpoint itself.
        case alone
        /// The background copied all but a few frames.
        case afterBackfill
        /// The WAL reached its bound (the background is behind).
        case atBound
    }

    /// Whether the writer checkpoints itself now, and why.
    private func writerCheckpoint(frames: Int) -> WriterCheckpoint? {
        guard let state = checkpointer?.state else {
            return frames - framesAtLastCheckpoint >= checkpointPages ? .alone : nil
        }
        if frames >= checkpointPages * 8 { return .atBound }
        guard frames >= checkpointPages * 4,
            let copied = state.backfilledFrames(generation: state.generation.load(ordering: .acquiring)),
            frames - copied <= checkpointPages / 2
        else { return nil }
        return .afterBackfill
    }
}

/// A batch's settled items, grouped by executor so each executor gets one hand-over (one lock, at
/// most one wake-up) per batch; items without an executor complete on the writer thread.
private struct Completions {
    private var groups: [(executor: any CompletionExecutor, batch: [any DeferredCompletion])] = []
    private var inline: [any WriteItem] = []

    mutating func add(_ item: any WriteItem, settled error: OutboxError?) {
        item.settle(error)
        guard let executor = item.executor else { return inline.append(item) }
        for i in groups.indices where groups[i].executor === executor {
            groups[i].batch.append(item)
            return
        }
        groups.append((executor, [item]))
    }

    /// Completes the inline items, then hands each group over, keeping no reference to it.
    mutating func run() {
        for item in inline { item.complete() }
        inline.removeAll()
        while let (executor, batch) = groups.popLast() { executor.execute(batch) }
    }
}
