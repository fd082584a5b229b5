import Outbox
import RelayCore
import Synchronization

/// Keeps the leases of the jobs this pool holds alive, from the claim until the try's finish
/// committed (or was abandoned): a send slower than the lease, or a job waiting for a worker or a
/// provider slot, is never rescued and sent again while this process still has it.
///
/// The pool's renewer thread calls `renew()` every third of the lease, which extends every held
/// lease in one store transaction (`renewLeases`); the dispatcher calls it too just before a
/// rescue, so a lease this pool holds cannot look expired to its own rescuer after a wall-clock
/// step. How long a lease is held is measured on the monotonic clock: from the start of the last
/// renewal that succeeded (or of the claim), plus the lease. The stored `lease_until` stays a wall
/// time point (the rescuer of another start compares it with the wall clock).
final class LeaseKeeper: Sendable {
    private struct Held {
        let token: Int64
        /// Monotonic milliseconds until which the store has the lease for us.
        var until: Int64
    }

    private let store: any JobDeliveryStore
    private let lease: Duration
    private let wall: any WallClock
    private let monotonic: any MonotonicClock
    private let logger: Logger
    private let held = Mutex<[String: Held]>([:])

    init(store: any JobDeliveryStore, lease: Duration, wall: any WallClock, monotonic: any MonotonicClock, logger: Logger) {
        self.store = store
        self.lease = lease
        self.wall = wall
        self.monotonic = monotonic
        self.logger = logger
    }

    /// How often the renewer runs: a third of the lease, so a held lease always has at least two
    /// thirds left in the store while renewals succeed, and one failed renewal still leaves a third.
    var renewalInterval: Duration { lease / 3 }

    /// Jobs of one claim, leased from `claimedAt` (monotonic milliseconds read before the claim).
    func hold(_ jobs: [ClaimedJob], claimedAt: Int64) {
        guard !jobs.isEmpty else { return }
        let until = claimedAt + lease.wholeMilliseconds
        held.withLock { h in
            for j in jobs { h[j.id] = Held(token: j.token, until: until) }
        }
    }

    /// The job's try was settled (or the job skipped): stop renewing that lease. By token: a
    /// retry due at once may already be claimed again under a new one.
    func release(_ job: ClaimedJob) {
        release([job])
    }

    /// Jobs whose leases go back to the queue (shutdown) or that were never handed to a worker.
    func release(_ jobs: [ClaimedJob]) {
        guard !jobs.isEmpty else { return }
        held.withLock { h in
            for j in jobs where h[j.id]?.token == j.token { h[j.id] = nil }
        }
    }

    func release(tokens: Set<Int64>) {
        guard !tokens.isEmpty else { return }
        held.withLock { h in h = h.filter { !tokens.contains($0.value.token) } }
    }

    /// Milliseconds (monotonic) left of the job's lease as last renewed, or nil when this pool
    /// does not hold it (lost to another token, released, or run out).
    func remaining(_ job: ClaimedJob) -> Int64? {
        guard let h = held.withLock({ $0[job.id] }), h.token == job.token else { return nil }
        let left = h.until - monotonic.elapsedMillis()
        return left > 0 ? left : nil
    }

    /// Jobs held now (tests, metrics).
    var count: Int { held.withLock { $0.count } }

    /// Extends the leases of every held job (or of `only`) to now plus the lease, in one store
    /// transaction. A lease the store no longer has under our token is forgotten (its finish will
    /// be refused by fencing). Returns how many were renewed; nil when the store failed (the
    /// leases keep their last renewal, and the next round tries again).
    @discardableResult
    func renew(only: Set<String>? = nil) -> Int? {
        let started = monotonic.elapsedMillis()
        // A hold that ran out (renewals failed for a whole lease) is given up, not revived: the
        // rescuer may already have returned the job, and the worker must not send it.
        let batch = held.withLock { h in
            h = h.filter { $0.value.until > started }
            return h.compactMap { id, v in only.map { $0.contains(id) } ?? true ? HeldLease(id: id, token: v.token) : nil }
        }
        guard !batch.isEmpty else { return 0 }
        let kept: Set<String>
        do {
            kept = try store.renewLeases(batch, lease: lease, now: wall.nowMillis())
        } catch {
            logger.error("lease renewal failed", ["jobs": .int(Int64(batch.count)), "error": .string(error.description)])
            return nil
        }
        let until = started + lease.wholeMilliseconds
        held.withLock { h in
            for l in batch {
                guard var v = h[l.id], v.token == l.token else { continue }  // released meanwhile
                if kept.contains(l.id) {
                    v.until = max(v.until, until)
                    h[l.id] = v
                } else {
                    h[l.id] = nil
                }
            }
        }
        if kept.count < batch.count {
            logger.warning("leases lost at renewal", ["jobs": .int(Int64(batch.count - kept.count))])
        }
        return kept.count
    }
}
