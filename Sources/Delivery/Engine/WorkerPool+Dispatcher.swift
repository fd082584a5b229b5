import Dispatch
import Outbox
import RelayCore

/// The dispatcher thread: claims, rescues, expires, and sleeps until the next thing is due.
extension WorkerPool {
    /// After a claim that found nothing although `run_at` said a job was due (another process
    /// took it, or it expired), trust the timer again only after this long: no busy loop.
    static let emptyClaimBackoff: Duration = .milliseconds(50)
    /// After a claim that failed (store unavailable), wait this long before claiming again
    /// unless a commit wakes the dispatcher sooner.
    static let failedClaimBackoff: Duration = .seconds(1)

    func dispatcherLoop() {
        let config = context.configuration
        let store = context.store
        let clock = context.clock
        // Epoch milliseconds below (the store's `run_at` and leases); the durations converted once.
        let sweepEvery = config.expireSweepInterval.wholeMilliseconds
        let maxIdle = max(1, config.maxIdle.wholeMilliseconds)
        let failedBackoff = WorkerPool.failedClaimBackoff.wholeMilliseconds
        let emptyBackoff = WorkerPool.emptyClaimBackoff.wholeMilliseconds
        var nextSweep: Int64 = 0
        var quietUntil: Int64 = 0
        while true {
            wakePending.store(false, ordering: .releasing)
            if state.withLock({ $0.dispatcherShouldExit }) { return }
            var now = clock.nowMillis()
            if now >= nextSweep {
                if let n = attempt("expire", { () throws(OutboxError) in try store.expireDue(now: now) }), n > 0 {
                    context.logger.info("jobs expired", ["jobs": .int(Int64(n))])
                    context.emit(.expired(count: n))
                }
                nextSweep = now + sweepEvery
            }
            var leaseExpiry = attempt("lease expiry", { () throws(OutboxError) in try store.nextLeaseExpiry() }) ?? nil
            if let lease = leaseExpiry, lease <= now {
                // Leases this pool still holds are renewed first: only abandoned ones are rescued,
                // even when the wall clock stepped forward past every `lease_until`.
                context.leases.renew()
                let budget = config.retry.maxAttempts
                if let n = attempt("rescue", { () throws(OutboxError) in try store.rescueExpiredLeases(now: now, maxAttempts: budget) }) {
                    if n > 0 { context.emit(.rescued(count: n)) }
                    leaseExpiry = attempt("lease expiry", { () throws(OutboxError) in try store.nextLeaseExpiry() }) ?? nil
                }
                // A rescue that failed is tried again after a pause, not in a tight loop.
                if let l = leaseExpiry, l <= now { leaseExpiry = now + failedBackoff }
            }

            let (capacity, dirty, backlog) = state.withLock { s -> (Int, Bool, Bool) in
                let c = s.checkCapacity()
                return (c.jobs, c.mayBeReady, c.backlog)
            }
            var nextRun: Int64?
            if capacity > 0 {
                var due = dirty
                if !due {
                    nextRun = attempt("next run", { () throws(OutboxError) in try store.nextRunAt() }) ?? nil
                    due = now >= quietUntil && (nextRun.map { $0 <= now } ?? false)
                }
                if due {
                    let claimedAt = context.monotonic.elapsedMillis()
                    now = clock.nowMillis()
                    let limit = backlog ? capacity : min(max(1, config.batchSize), capacity)
                    let claimed = attempt(
                        "claim",
                        { () throws(OutboxError) in
                            try store.claim(limit: limit, lease: config.lease, now: now)
                        })
                    let jobs = claimed ?? []
                    context.leases.hold(jobs, claimedAt: claimedAt)
                    hand(jobs, limit: limit)
                    if jobs.count == limit { continue }
                    if claimed == nil {
                        quietUntil = now + failedBackoff
                    } else if jobs.isEmpty && !dirty {
                        quietUntil = now + emptyBackoff
                    }
                    nextRun = attempt("next run", { () throws(OutboxError) in try store.nextRunAt() }) ?? nil
                }
            }

            var wakeAt = min(nextSweep, now + maxIdle)
            if let lease = leaseExpiry { wakeAt = min(wakeAt, lease) }
            if capacity > 0, let run = nextRun { wakeAt = min(wakeAt, max(run, quietUntil)) }
            let delay = max(1, wakeAt - clock.nowMillis())
            context.emit(.idle)
            _ = dispatcherWake.wait(timeout: .now() + .milliseconds(Int(min(delay, Int64(Int32.max)))))
        }
    }

    /// Gives claimed jobs to the scheduler; during shutdown returns their leases instead.
    private func hand(_ jobs: [ClaimedJob], limit: Int) {
        switch state.withLock({ $0.claimed(jobs, limit: limit) }) {
        case .none: return
        case .release(let tokens): release(tokens: tokens)
        case .hand(let n):
            context.emit(.claimed(count: n))
            let taken = state.withLock { m -> [ClaimedJob] in
                var out: [ClaimedJob] = []
                while case .process(let job) = m.nextJob() { out.append(job) }
                return out
            }
            scheduler.admit(taken)
        }
    }

    /// Returns leases to the queue without counting a try.
    func release(tokens: Set<Int64>) {
        guard !tokens.isEmpty else { return }
        context.leases.release(tokens: tokens)
        let now = context.clock.nowMillis()
        if let n = attempt("release", { () throws(OutboxError) in try context.store.releaseLeases(tokens: Array(tokens), now: now) }) {
            context.emit(.released(count: n))
            if n > 0 { context.logger.info("delivery released leases", ["jobs": .int(Int64(n))]) }
        }
    }

    /// Runs one store call, logging a failure (the next wake tries again).
    private func attempt<T>(_ what: String, _ body: () throws(OutboxError) -> T) -> T? {
        do {
            return try body()
        } catch {
            context.logger.error("delivery store call failed", ["call": .string(what), "error": .string(error.description)])
            return nil
        }
    }
}
