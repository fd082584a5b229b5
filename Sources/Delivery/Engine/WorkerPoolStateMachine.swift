import Outbox
import RelayCore

/// A claimed job as the pool's state sees it: something leased under a fencing token.
protocol FencedJob: Sendable {
    var token: Int64 { get }
}

extension ClaimedJob: FencedJob {}

/// The worker pool's state and every transition of it, in one place. Pure: no threads, no store,
/// no clock; `WorkerPool` calls it under its mutex and carries out the action it returns (spawn
/// threads, wake the dispatcher, release leases). Unit-tested in `WorkerPoolStateMachineTests`.
///
/// `idle` → `running` (start) → `draining` (shutdown: no new claims, unstarted jobs returned,
/// in-flight sends finishing by a deadline) → `stopped` (threads joined or the deadline passed).
/// A shutdown before start goes straight to `stopped`; a start after shutdown does nothing.
struct WorkerPoolStateMachine<Job: FencedJob>: Sendable {
    enum State: Sendable {
        case idle
        case running(Running)
        case draining(Draining)
        case stopped
    }

    /// Jobs handed to workers and not yet settled (their finish committed or was abandoned).
    struct InFlight: Sendable {
        var count = 0
        /// Fencing tokens of jobs being sent (a token may cover several jobs of one claim).
        var tokens: [Int64: Int] = [:]

        mutating func begin(_ token: Int64) {
            count += 1
            tokens[token, default: 0] += 1
        }

        /// The token of an abandoned finish stays busy so shutdown does not release a lease
        /// whose send happened.
        mutating func settle(_ token: Int64, committed: Bool) {
            count -= 1
            guard committed else { return }
            if let n = tokens[token], n > 1 { tokens[token] = n - 1 } else { tokens[token] = nil }
        }
    }

    struct Running: Sendable {
        var pending = JobFIFO<Job>()
        var inFlight = InFlight()
        /// Jobs may be ready: a commit said so, or the last claim was full.
        var mayBeReady = true
        /// The last capacity check found the claim window full; a settle that frees it wakes
        /// the dispatcher.
        var waitingForCapacity = false
        /// The last claim was full: more jobs are ready than the workers hold, so claim ahead.
        var backlog = false
    }

    struct Draining: Sendable {
        var inFlight: InFlight
        let deadline: Deadline
    }

    /// What the dispatcher may claim now.
    struct Capacity: Equatable, Sendable {
        /// Jobs to claim at most; 0: not worth a claim (or not running).
        var jobs: Int
        var mayBeReady: Bool
        var backlog: Bool
    }

    enum WorkerAction: Sendable {
        case process(Job)
        /// Nothing pending: wait for the next signal.
        case wait
        case exit
    }

    enum ClaimAction: Equatable, Sendable {
        /// Jobs handed to workers: signal this many.
        case hand(Int)
        /// Not running any more: return these leases.
        case release(Set<Int64>)
        case none
    }

    enum ShutdownAction: Sendable {
        /// Was running: stop the threads and return the leases of `unstarted`.
        case drain(unstarted: [Job])
        /// Never started, or already stopping: nothing to wait for.
        case nothing
    }

    private(set) var state: State = .idle
    let sizing: ClaimSizing

    init(workers: Int, batchSize: Int) {
        sizing = ClaimSizing(workers: max(1, workers), batchSize: batchSize)
    }

    init(window: Int, backlogWindow: Int, batchSize: Int) {
        sizing = ClaimSizing(window: window, backlogWindow: backlogWindow, batchSize: batchSize)
    }

    /// Started and not stopping (readiness: `/readyz`'s `workers_alive`).
    var isRunning: Bool {
        if case .running = state { return true }
        return false
    }

    /// Whether the dispatcher should keep going.
    var dispatcherShouldExit: Bool { !isRunning }

    /// Returns true when the caller should spawn the threads (the first start, before any shutdown).
    mutating func start() -> Bool {
        guard case .idle = state else { return false }
        state = .running(Running())
        return true
    }

    /// Runs `body` on the running state in place. The state is moved out first so the pending
    /// FIFO is not copied on write (the mutex's holder is the only one to see the placeholder).
    private mutating func withRunning<T>(_ body: (inout Running) -> T) -> T? {
        guard case .running(var r) = state else { return nil }
        state = .stopped
        defer { state = .running(r) }
        return body(&r)
    }

    /// A commit may have made jobs ready.
    mutating func commitObserved() {
        _ = withRunning { $0.mayBeReady = true }
    }

    /// The dispatcher asks what it may claim; a positive answer consumes the "may be ready" hint.
    mutating func checkCapacity() -> Capacity {
        let sizing = sizing
        return withRunning { r in
            let c = sizing.claimable(r)
            let answer = Capacity(jobs: c, mayBeReady: r.mayBeReady, backlog: r.backlog)
            if c > 0 { r.mayBeReady = false }
            r.waitingForCapacity = c == 0
            return answer
        } ?? Capacity(jobs: 0, mayBeReady: false, backlog: false)
    }

    /// A claim of `limit` returned `jobs`.
    mutating func claimed(_ jobs: [Job], limit: Int) -> ClaimAction {
        let running =
            withRunning { r -> Bool in
                let full = jobs.count == limit
                r.pending.append(contentsOf: jobs)
                r.backlog = full
                if full { r.mayBeReady = true }
                return true
            } ?? false
        if jobs.isEmpty { return .none }
        return running ? .hand(jobs.count) : .release(Set(jobs.map(\.token)))
    }

    /// A worker asks for its next job.
    mutating func nextJob() -> WorkerAction {
        switch state {
        case .idle: return .wait
        case .draining, .stopped: return .exit
        case .running:
            return withRunning { r in
                guard !r.pending.isEmpty else { return .wait }
                let job = r.pending.removeFirst()  // O(1): the FIFO keeps a head index
                r.inFlight.begin(job.token)
                return .process(job)
            } ?? .exit
        }
    }

    /// A job leaves the claim window once its finish committed (or none was needed). Returns
    /// whether to wake the dispatcher: the window opened while it waited, or a drain may be done.
    mutating func settle(token: Int64, committed: Bool) -> Bool {
        switch state {
        case .idle, .stopped: return false
        case .running:
            let sizing = sizing
            return withRunning { r in
                r.inFlight.settle(token, committed: committed)
                return r.waitingForCapacity && sizing.claimable(r) > 0
            } ?? false
        case .draining(var d):
            state = .stopped  // moved out: no copy on write
            d.inFlight.settle(token, committed: committed)
            state = .draining(d)
            return true
        }
    }

    /// Begins the shutdown.
    mutating func shutdown(by deadline: Deadline) -> ShutdownAction {
        switch state {
        case .idle:
            state = .stopped
            return .nothing
        case .draining, .stopped:
            return .nothing
        case .running(var r):
            state = .stopped  // moved out: no copy of the FIFO
            let unstarted = r.pending.removeAll()
            state = .draining(Draining(inFlight: r.inFlight, deadline: deadline))
            return .drain(unstarted: unstarted)
        }
    }

    /// The drain ended (threads joined, or the deadline passed). Returns the tokens still busy
    /// (sends in flight, finishes abandoned): their leases must not be released.
    mutating func drained() -> Set<Int64> {
        guard case .draining(let d) = state else { return [] }
        state = .stopped
        return Set(d.inFlight.tokens.keys)
    }
}

/// How many jobs the dispatcher keeps claimed and unsettled.
struct ClaimSizing: Sendable {
    /// Claimed-and-unfinished jobs per unit of `workers` while a backlog drains (the sizing by
    /// workers). Claims and finishes commit in batches (a job waits about one commit to be claimed
    /// and one for its finish), so a window of twice the senders leaves them idle for most of
    /// each round; leases (60 s by default) outlast this many jobs by far.
    static let backlogWindowPerWorker = 16
    /// The pool's window while no backlog drains (at most `max_in_flight`): a steady stream of a
    /// few hundred OTP/s at provider latencies of a few hundred milliseconds fits in it; a claim
    /// that comes back full opens the backlog window (`max_in_flight`).
    static let steadyWindow = 512

    let window: Int
    let backlogWindow: Int
    let batchSize: Int

    init(workers: Int, batchSize: Int) {
        window = workers * 2
        backlogWindow = max(window, workers * Self.backlogWindowPerWorker)
        self.batchSize = batchSize
    }

    init(window: Int, backlogWindow: Int, batchSize: Int) {
        self.window = max(1, window)
        self.backlogWindow = max(self.window, backlogWindow)
        self.batchSize = batchSize
    }

    /// The window and refill chunk: `batch_size` jobs per claim normally, a quarter of the larger
    /// backlog window per claim while the last claim came back full.
    func claimWindow(backlog: Bool) -> (window: Int, refill: Int) {
        if backlog { return (backlogWindow, max(1, backlogWindow / 4)) }
        return (window, max(1, min(batchSize, window / 4)))
    }

    /// How many jobs may be claimed now, or 0 while it is not worth a claim: at most `window`
    /// jobs are claimed and unfinished, and the dispatcher refills in chunks of at least `refill`
    /// (one claim is one commit) unless the workers would otherwise run dry.
    func claimable<Job>(_ r: WorkerPoolStateMachine<Job>.Running) -> Int {
        let (window, refill) = claimWindow(backlog: r.backlog)
        let free = max(0, window - r.inFlight.count - r.pending.count)
        return free >= refill || (free > 0 && r.pending.isEmpty) ? free : 0
    }
}

/// Claimed jobs waiting for a worker, oldest first. `removeFirst` is O(1) (a head index, compacted
/// now and then): with hundreds of jobs claimed ahead, `Array.removeFirst` moved them all each time.
struct JobFIFO<Job: Sendable>: Sendable {
    private var items: [Job] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }

    mutating func append(contentsOf jobs: [Job]) { items.append(contentsOf: jobs) }

    mutating func removeFirst() -> Job {
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
    mutating func removeAll() -> [Job] {
        defer { items = []; head = 0 }
        return Array(items[head...])
    }
}
