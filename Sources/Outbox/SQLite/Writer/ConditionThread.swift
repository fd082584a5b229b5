import Foundation
import Synchronization

/// The skeleton of a thread that sleeps on a condition until it has work: start, offer work (wake
/// it), take work, stop and join. The writer and the checkpointer each run one; their own state
/// (pending items, a checkpoint request) is guarded by this thread's lock, that is, touched only
/// inside `offer` and `nextWork` closures.
///
/// `@unchecked Sendable`: `running` and `stopping` are guarded by `condition`; `finished` and
/// `threadID` are thread-safe.
final class ConditionThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var running = false
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private let threadID = Mutex<pthread_t?>(nil)
    private let name: String
    /// Whether work offered before `stop` is still taken (the writer commits what it accepted) or
    /// dropped (a checkpoint request).
    private let drainsOnStop: Bool

    init(name: String, drainsOnStop: Bool) {
        self.name = name
        self.drainsOnStop = drainsOnStop
    }

    /// Starts the thread; `body` runs on it (a `while let work = nextWork(…)` loop) until it returns.
    func start(_ body: @escaping @Sendable () -> Void) {
        condition.lock()
        running = true
        condition.unlock()
        let thread = Thread { [self] in
            threadID.withLock { $0 = pthread_self() }
            body()
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Runs `body` under the lock while the thread accepts work (started, not stopping) and wakes
    /// the thread when `body` returns true. Returns false, without running `body`, otherwise.
    func offer(_ body: () -> Bool) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard running, !stopping else { return false }
        if body() { condition.signal() }
        return true
    }

    /// On the thread: sleeps until `hasWork()` (checked under the lock), `wakeAt` (when given) or
    /// a stop, then returns `take()` (run under the lock), or nil once the loop should end.
    func nextWork<T>(hasWork: () -> Bool, wakeAt: Date? = nil, take: () -> T) -> T? {
        condition.lock()
        defer { condition.unlock() }
        while !hasWork() && !stopping {
            if let wakeAt {
                if !condition.wait(until: wakeAt) { break }
            } else {
                condition.wait()
            }
        }
        if stopping { guard drainsOnStop && hasWork() else { return nil } }
        return take()
    }

    /// Refuses new work, wakes the thread and waits for its loop to end (not when called on the
    /// thread itself, which ends once it returns). Idempotent.
    func stop() {
        condition.lock()
        let wasRunning = running && !stopping
        stopping = true
        condition.signal()
        condition.unlock()
        if wasRunning && !isCurrent { finished.wait() }
    }

    /// Whether the caller runs on this thread.
    var isCurrent: Bool {
        guard let id = threadID.withLock({ $0 }) else { return false }
        return pthread_equal(id, pthread_self()) != 0
    }
}
