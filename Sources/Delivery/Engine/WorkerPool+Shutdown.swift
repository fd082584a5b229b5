import Dispatch
import Outbox
import RelayCore

/// Orderly stop: no new claims, in-flight sends finish within the deadline, unstarted jobs go
/// back to the queue, threads are joined.
extension WorkerPool {
    /// Blocks until the pool stopped or `deadline` passed. Returns true when every thread
    /// exited and every try handed to the finish queue was committed in time. A send still
    /// running at the deadline, or a try that could not be committed by then, keeps its lease; the
    /// rescuer returns it after the lease runs out (at-least-once), as do unstarted jobs claimed
    /// with it in one batch (their shared fencing token cannot be released without releasing the
    /// job in flight).
    @discardableResult
    public func shutdown(by deadline: Deadline) -> Bool {
        guard case .drain(let claimed) = state.withLock({ $0.shutdown(by: deadline) }) else { return true }
        let until = deadline.dispatchTime
        // Jobs waiting for a provider's slot or token are not started either (settled already).
        var unstarted = claimed + scheduler.stopAdmitting()
        context.emit(.stopping(unstarted: unstarted.count))
        wake()
        // Sends in flight finish (their tries go to the finish queue) or are cut off at the
        // deadline; those finishes commit before this returns (and so before the store closes),
        // or are abandoned at the deadline.
        let sendsEnded = scheduler.drain(until: deadline)
        let exited = threads.wait(timeout: until) == .success && sendsEnded
        let flushed = finishes.flush(until: until)  // even when late: past it, retries give up
        let joined = exited && flushed
        let busy = state.withLock { $0.drained() }
        unstarted += scheduler.takeLateUnstarted()
        let tokens = Set(unstarted.map(\.token)).subtracting(busy)
        release(tokens: tokens)
        // Unstarted jobs sharing a token with a send in flight keep their lease until it runs out.
        context.leases.release(unstarted)
        renewerStop.store(true, ordering: .releasing)
        renewerWake.signal()
        _ = renewer.wait(timeout: .now() + .seconds(1))
        if joined {
            context.logger.info("delivery stopped", ["released": .int(Int64(unstarted.count))])
        } else {
            context.logger.warning(
                "delivery stop deadline passed with sends in flight",
                ["in_flight": .int(Int64(busy.count))])
        }
        return joined
    }
}
