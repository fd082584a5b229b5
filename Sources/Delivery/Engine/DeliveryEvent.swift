import Dispatch
import Outbox
import RelayCore

/// What the pool did, for tests and metrics. Delivered synchronously on the pool's threads —
/// `finished` and `leaseLost` on the store's completion queue, once the try is committed:
/// observers must be quick and must not call back into the pool or block on the store.
public enum DeliveryEvent: Sendable, Equatable {
    /// One claim leased `count` jobs.
    case claimed(count: Int)
    /// A worker finished a job: the transition the store applied and the outcome of the try.
    case finished(jobID: String, transition: JobTransition, outcome: AttemptOutcome, provider: String?)
    /// The store refused `finish`: the worker no longer held the lease (fencing).
    case leaseLost(jobID: String)
    /// A circuit breaker changed state.
    case breaker(provider: String, state: CircuitBreaker.State)
    /// The dispatcher found nothing to do and sleeps until a commit, a worker or its timer wakes it.
    case idle
    /// Shutdown began: no more claims; `unstarted` jobs will not be sent by this pool.
    case stopping(unstarted: Int)
    /// Shutdown returned `count` unstarted jobs to the queue.
    case released(count: Int)
    /// The periodic sweep expired `count` queued or dead jobs past their validity.
    case expired(count: Int)
    /// The rescuer returned `count` jobs whose lease ran out.
    case rescued(count: Int)
    /// The renewer extended `count` leases of jobs this pool holds.
    case renewed(count: Int)
    /// A provider answered that it throttles us (429, 130429, 20429): its rate was lowered.
    case throttled(provider: String)
}

/// Shared, immutable state of one pool: what every worker thread reads.
struct DeliveryContext: Sendable {
    let store: any JobDeliveryStore
    let configuration: DeliveryConfiguration
    /// Time points stored in the database (`run_at`, `lease_until`, attempts' times).
    let clock: any WallClock
    /// In-process durations: breaker cool-downs, how long a lease is held.
    let monotonic: any MonotonicClock
    let leases: LeaseKeeper
    let logger: Logger
    let breakers: [String: CircuitBreaker]
    let observer: (@Sendable (DeliveryEvent) -> Void)?
    let handlers: [JobKind: JobHandlerFactory]

    func emit(_ e: DeliveryEvent) { observer?(e) }
}
