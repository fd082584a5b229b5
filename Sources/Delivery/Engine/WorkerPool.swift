import Dispatch
import Foundation
import Outbox
import RelayCore
import Synchronization

/// The delivery worker pool (DESIGN §5): a dispatcher thread claims ready jobs in batches under a
/// lease and fencing token and hands them to worker threads, which send and record each try.
///
/// The dispatcher sleeps until something is due: a commit observer on the store wakes it at once
/// when jobs become ready (no polling delay); otherwise a timer for the next `run_at`, the next
/// lease expiry (the rescuer) and the periodic expiry sweep. It claims only what the workers can
/// start soon (twice the worker count; more while a backlog drains, see `backlogWindowPerWorker`),
/// so leased jobs do not wait long in memory.
///
/// Workers do not wait for the commit of a try: they hand it to a `FinishQueue` (the store's
/// non-blocking, fenced `finish`) and take the next job, so the single writer commits many tries
/// and the next claim together. A job counts against the claim window until its try committed.
/// At-least-once, as before: a try that cannot be committed before the lease runs out (the store
/// unavailable that long) is abandoned, and the rescuer returns the job, which is sent again.
///
/// Threads, not async tasks: providers block in libcurl and `write`. `shutdown(deadlineMillis:)`
/// stops claiming, lets in-flight sends finish within the deadline, commits their tries before it
/// returns (so before the store closes), returns the leases of jobs not started, and joins the
/// threads.
public final class WorkerPool: Sendable {
    struct State {
        var started = false
        var stopping = false
        var pending = JobFIFO()
        /// Fencing tokens of jobs being sent (a token may cover several jobs of one claim).
        var inFlightTokens: [Int64: Int] = [:]
        var inFlight = 0
        /// Jobs may be ready: a commit said so, or the last claim was full.
        var dirty = true
        var waitingForCapacity = false
        /// The last claim was full: more jobs are ready than the workers hold, so claim ahead.
        var backlog = false
    }

    /// How many jobs may be claimed now, or 0 while it is not worth a claim: at most `window`
    /// jobs are claimed and unfinished, and the dispatcher refills in chunks of at least `refill`
    /// (one claim is one commit) unless the workers would otherwise run dry.
    static func claimable(_ s: State, window: Int, refill: Int) -> Int {
        let free = max(0, window - s.inFlight - s.pending.count)
        return free >= refill || (free > 0 && s.pending.isEmpty) ? free : 0
    }

    /// Claimed-and-unfinished jobs per worker while a backlog drains. Claims and finishes commit in
    /// batches (a job waits about one commit to be claimed and one for its finish), so a window of
    /// twice the workers leaves them idle for most of each round; leases (60 s by default) outlast
    /// this many jobs by far.
    static let backlogWindowPerWorker = 16

    var window: Int { max(1, context.configuration.workers) * 2 }
    var backlogWindow: Int { max(window, max(1, context.configuration.workers) * WorkerPool.backlogWindowPerWorker) }

    /// The window and refill chunk for the current state: `batch_size` jobs per claim normally, a
    /// quarter of the larger backlog window per claim while the last claim came back full.
    func claimWindow(_ s: State) -> (window: Int, refill: Int) {
        if s.backlog { return (backlogWindow, max(1, backlogWindow / 4)) }
        return (window, max(1, min(context.configuration.batchSize, window / 4)))
    }

    let context: DeliveryContext
    let state = Mutex(State())
    let dispatcherWake = DispatchSemaphore(value: 0)
    let wakePending = Atomic<Bool>(false)
    let jobsReady = DispatchSemaphore(value: 0)
    let threads = DispatchGroup()
    /// Set once in `init` (it needs `self` for `settle`); read-only afterwards.
    nonisolated(unsafe) private(set) var finishes: FinishQueue!

    /// - Parameters:
    ///   - handlers: delivery of job kinds other than `otp` (KYC); a job of a kind without a
    ///     handler ends `dead`.
    ///   - observer: receives `DeliveryEvent`s synchronously on the pool's threads.
    public init(
        store: any JobDeliveryStore, configuration: DeliveryConfiguration, clock: any WallClock = SystemClock(),
        logger: Logger, handlers: [JobKind: JobHandlerFactory] = [:],
        observer: (@Sendable (DeliveryEvent) -> Void)? = nil
    ) {
        var breakers: [String: CircuitBreaker] = [:]
        var limits: [String: DispatchSemaphore] = [:]
        for (name, spec) in configuration.providers {
            breakers[name] = CircuitBreaker(name: name, policy: configuration.breaker)
            if let n = spec.maxConcurrency, n > 0, n < configuration.workers { limits[name] = DispatchSemaphore(value: n) }
        }
        context = DeliveryContext(
            store: store, configuration: configuration, clock: clock, logger: logger,
            breakers: breakers, limits: limits, observer: observer,
            handlers: handlers)
        finishes = FinishQueue(context: context) { [weak self] job, committed in self?.settle(job, committed: committed) }
    }

    /// Started and not stopping (readiness).
    public var isRunning: Bool { state.withLock { $0.started && !$0.stopping } }

    /// The breaker of a provider (operations, tests).
    public func breaker(for provider: String) -> CircuitBreaker? { context.breakers[provider] }

    /// Starts the dispatcher and the workers; registers the store's commit observer. Idempotent.
    public func start() {
        let first = state.withLock { s -> Bool in
            defer { s.started = true }
            return !s.started && !s.stopping
        }
        guard first else { return }
        context.store.addCommitObserver { [weak self] in self?.jobsCommitted() }
        let workers = max(1, context.configuration.workers)
        for i in 0..<workers {
            spawn(name: "delivery-worker-\(i)") { [self] in workerLoop() }
        }
        spawn(name: "delivery-dispatcher") { [self] in dispatcherLoop() }
        context.logger.info(
            "delivery started",
            [
                "workers": .int(Int64(workers)),
                "providers": .int(Int64(context.configuration.providers.count)),
            ])
    }

    /// Wakes the dispatcher now: jobs may be ready (another process wrote the database, or a test
    /// moved its clock).
    public func wake() {
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) { dispatcherWake.signal() }
    }

    private func jobsCommitted() {
        state.withLock { $0.dirty = true }
        wake()
    }

    /// A job leaves the claim window once its finish committed (or none was needed). The token of
    /// an abandoned finish stays busy so shutdown does not release a lease whose send happened.
    func settle(_ job: ClaimedJob, committed: Bool) {
        let wakeDispatcher = state.withLock { s -> Bool in
            let (window, refill) = claimWindow(s)
            s.inFlight -= 1
            if committed {
                if let n = s.inFlightTokens[job.token], n > 1 {
                    s.inFlightTokens[job.token] = n - 1
                } else {
                    s.inFlightTokens[job.token] = nil
                }
            }
            return s.stopping || (s.waitingForCapacity && WorkerPool.claimable(s, window: window, refill: refill) > 0)
        }
        if wakeDispatcher { wake() }
    }

    private func spawn(name: String, _ body: @escaping @Sendable () -> Void) {
        threads.enter()
        let thread = Thread { [threads] in
            body()
            threads.leave()
        }
        thread.name = name
        thread.start()
    }

    // MARK: workers

    private func workerLoop() {
        let worker = DeliveryWorker(context: context, finishes: finishes)
        while true {
            jobsReady.wait()
            let next = state.withLock { s -> (job: ClaimedJob?, stop: Bool) in
                guard !s.pending.isEmpty else { return (nil, s.stopping) }
                let job = s.pending.removeFirst()  // O(1): the FIFO keeps a head index
                s.inFlight += 1
                s.inFlightTokens[job.token, default: 0] += 1
                return (job, false)
            }
            guard let job = next.job else {
                if next.stop { return }
                continue
            }
            worker.process(job)
            if !worker.submittedFinish { settle(job, committed: true) }
        }
    }
}

/// Claimed jobs waiting for a worker, oldest first. `removeFirst` is O(1) (a head index, compacted
/// now and then): with hundreds of jobs claimed ahead, `Array.removeFirst` moved them all each time.
struct JobFIFO {
    private var items: [ClaimedJob] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }

    mutating func append(contentsOf jobs: [ClaimedJob]) { items.append(contentsOf: jobs) }

    mutating func removeFirst() -> ClaimedJob {
        let job = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 256 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return job
    }

    /// Everything still waiting, leaving the FIFO empty.
    mutating func removeAll() -> [ClaimedJob] {
        defer { items = []; head = 0 }
        return Array(items[head...])
    }
}
