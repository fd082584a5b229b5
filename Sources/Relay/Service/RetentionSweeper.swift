import Dispatch
import Outbox
import RelayCore
import Synchronization

/// Deletes terminal jobs (`sent`, `expired`) older than the retention period, in small batches so
/// the webhook's commits are never held up for long; their attempts go with them.
/// `@unchecked Sendable`: the timer is created in init and only resumed/cancelled after (both
/// thread-safe in Dispatch, and each done once, guarded by `phase`); every other property is
/// immutable and Sendable.
final class RetentionSweeper: LifecycleComponent, @unchecked Sendable {
    static let batch = 1_000

    let lifecycleName = "retention"
    private let store: any JobOperationsStore
    private let retention: Duration
    private let clock: any WallClock
    private let logger: Logger
    private let queue = DispatchQueue(label: "otp-relay.retention", qos: .utility)
    private let timer: DispatchSourceTimer
    private enum Phase { case idle, running, stopped }
    private let phase = Mutex(Phase.idle)

    init(store: any JobOperationsStore, retention: Duration, every: Duration, clock: any WallClock, logger: Logger) {
        self.store = store
        self.retention = retention
        self.clock = clock
        self.logger = logger
        timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = DispatchTimeInterval.milliseconds(Int(clamping: max(1, every.wholeMilliseconds)))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in self?.sweep() }
    }

    /// A timer never resumed must be resumed once before it is released (Dispatch traps on
    /// releasing a suspended source); cancelled first, its handler never runs.
    deinit {
        if phase.withLock({ $0 == .idle }) {
            timer.cancel()
            timer.resume()
        }
    }

    func start() {
        let first = phase.withLock { p -> Bool in
            guard p == .idle else { return false }
            p = .running
            return true
        }
        if first { timer.resume() }
    }

    /// Cancels the timer and waits (until `deadline`) for a sweep in progress to end, so the store
    /// is not closed under it. A sweep cut short is safe: each batch is its own transaction.
    func shutdown(by deadline: Deadline) -> Bool {
        let was = phase.withLock { p -> Phase in
            defer { p = .stopped }
            return p
        }
        guard was == .running else {
            if was == .idle { timer.cancel(); timer.resume() }
            return true
        }
        timer.cancel()
        let idle = DispatchSemaphore(value: 0)
        queue.async { idle.signal() }  // runs after the handler in progress, if any
        return idle.wait(timeout: deadline.dispatchTime) == .success
    }

    /// One pass: batches until fewer than a batch are left. Returns the jobs deleted.
    @discardableResult
    func sweep() -> Int {
        let before = clock.nowMillis() - retention.wholeMilliseconds
        var total = 0
        while true {
            let n: Int
            do { n = try store.purge(createdBefore: before, limit: Self.batch) } catch {
                logger.warning("retention sweep failed", ["error": .string(error.description)])
                break
            }
            total += n
            if n < Self.batch { break }
        }
        if total > 0 { logger.info("retention: deleted terminal jobs", ["count": .int(Int64(total))]) }
        return total
    }
}
