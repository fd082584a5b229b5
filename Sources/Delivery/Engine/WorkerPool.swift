import Dispatch
import Foundation
import Outbox
import RelayCore
import Synchronization

/// The delivery pool (docs/design.md §5): a dispatcher thread claims ready jobs in batches under a
/// lease and fencing token and hands them to the `DeliveryScheduler`, which keeps each provider
/// within its concurrency and rate and runs the sends on libcurl's multi interface (a few driver
/// threads for thousands of sends in flight), or on blocking lanes for providers that block.
///
/// The dispatcher sleeps until something is due: a commit observer on the store wakes it at once
/// when jobs become ready (no polling delay); otherwise a timer for the next `run_at`, the next
/// lease expiry (the rescuer) and the periodic expiry sweep. It claims only what the workers can
/// start soon (twice the worker count; more while a backlog drains, see `ClaimSizing.backlogWindowPerWorker`),
/// so leased jobs do not wait long in memory.
///
/// Workers do not wait for the commit of a try: they hand it to a `FinishQueue` (the store's
/// non-blocking, fenced `finish`) and take the next job, so the single writer commits many tries
/// and the next claim together. A job counts against the claim window until its try committed.
/// At-least-once, as before: a try that cannot be committed before the lease runs out (the store
/// unavailable that long) is abandoned, and the rescuer returns the job, which is sent again.
///
/// `shutdown(by:)` stops claiming, returns the jobs still waiting for a provider, lets in-flight
/// sends finish within the deadline, commits their tries before it
/// returns (so before the store closes), returns the leases of jobs not started, and joins the
/// threads.
public final class WorkerPool: LifecycleComponent {
    typealias Machine = WorkerPoolStateMachine<ClaimedJob>

    public let lifecycleName = "delivery"
    let context: DeliveryContext
    let state: Mutex<Machine>
    let dispatcherWake = DispatchSemaphore(value: 0)
    let wakePending = Atomic<Bool>(false)
    let threads = DispatchGroup()
    /// The lease renewer runs until the drain ended (sends in flight keep their leases).
    let renewer = DispatchGroup()
    let renewerWake = DispatchSemaphore(value: 0)
    let renewerStop = Atomic<Bool>(false)
    /// Set once in `init` (it needs `self` for `settle`); read-only afterwards.
    nonisolated(unsafe) private(set) var finishes: FinishQueue!
    /// Set once in `init`, like `finishes`.
    nonisolated(unsafe) private(set) var scheduler: DeliveryScheduler!

    /// - Parameters:
    ///   - handlers: delivery of job kinds other than `otp` (KYC); a job of a kind without a
    ///     handler ends `dead`.
    ///   - clock: stored time points (`run_at`, `lease_until`); `monotonic`: in-process durations.
    ///   - observer: receives `DeliveryEvent`s synchronously on the pool's threads.
    public init(
        store: any JobDeliveryStore, configuration: DeliveryConfiguration, clock: any WallClock = SystemClock(),
        monotonic: any MonotonicClock = SystemMonotonicClock(),
        logger: Logger, handlers: [JobKind: JobHandlerFactory] = [:],
        observer: (@Sendable (DeliveryEvent) -> Void)? = nil
    ) {
        var breakers: [String: CircuitBreaker] = [:]
        for name in configuration.providers.keys {
            breakers[name] = CircuitBreaker(name: name, policy: configuration.breaker)
        }
        let most = max(1, configuration.maxInFlight)
        state = Mutex(
            Machine(window: min(most, ClaimSizing.steadyWindow), backlogWindow: most, batchSize: configuration.batchSize))
        context = DeliveryContext(
            store: store, configuration: configuration, clock: clock, monotonic: monotonic,
            leases: LeaseKeeper(store: store, lease: configuration.lease, wall: clock, monotonic: monotonic, logger: logger),
            logger: logger,
            breakers: breakers, observer: observer,
            handlers: handlers)
        finishes = FinishQueue(context: context) { [weak self] job, committed in self?.settle(job, committed: committed) }
        scheduler = DeliveryScheduler(context: context, finishes: finishes) { [weak self] job, committed in
            self?.settle(job, committed: committed)
        }
    }

    /// Per-provider sends in flight, jobs waiting, throttles (metrics, tests).
    public var providerLoad: [ProviderLoad] { scheduler.load }

    /// Started and not stopping (readiness: `/readyz`'s `workers_alive`), as the state machine says.
    public var isRunning: Bool { state.withLock { $0.isRunning } }

    /// The breaker of a provider (operations, tests).
    public func breaker(for provider: String) -> CircuitBreaker? { context.breakers[provider] }

    /// Starts the dispatcher, the multi drivers and the lease renewer; registers the store's
    /// commit observer. Idempotent; does nothing after a shutdown.
    public func start() {
        guard state.withLock({ $0.start() }) else { return }
        context.store.addCommitObserver { [weak self] in self?.jobsCommitted() }
        scheduler.start()
        threads.startThread(named: "delivery-dispatcher") { [self] in dispatcherLoop() }
        renewer.startThread(named: "delivery-lease-renewer") { [self] in renewerLoop() }
        context.logger.info(
            "delivery started",
            [
                "delivery_threads": .int(Int64(scheduler.drivers.count)),
                "max_in_flight": .int(Int64(context.configuration.maxInFlight)),
                "providers": .int(Int64(context.configuration.providers.count)),
            ])
    }

    /// Wakes the dispatcher now: jobs may be ready (another process wrote the database, or a test
    /// moved its clock).
    public func wake() {
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) { dispatcherWake.signal() }
    }

    private func jobsCommitted() {
        state.withLock { $0.commitObserved() }
        wake()
    }

    /// A job leaves the claim window once its finish committed (or none was needed).
    func settle(_ job: ClaimedJob, committed: Bool) {
        context.leases.release(job)
        if state.withLock({ $0.settle(token: job.token, committed: committed) }) { wake() }
    }

    /// Renews every held lease each third of the lease (monotonic waits), until the drain ended.
    private func renewerLoop() {
        let interval = context.leases.renewalInterval
        while !renewerStop.load(ordering: .acquiring) {
            _ = renewerWake.wait(timeout: .now() + .milliseconds(Int(max(1, interval.wholeMilliseconds))))
            if renewerStop.load(ordering: .acquiring) { return }
            if let n = context.leases.renew(), n > 0 { context.emit(.renewed(count: n)) }
        }
    }
}
