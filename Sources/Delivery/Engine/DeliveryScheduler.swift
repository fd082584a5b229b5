import Dispatch
import Outbox
import RelayCore
import Synchronization
import Transport

/// A job on its way through one provider: the rung it is on, when its handling began (the
/// attempts row's `started_at`), and the earliest probe of the open breakers it skipped.
struct ScheduledJob: Sendable {
    let job: ClaimedJob
    let rung: Routes.Rung
    let rungs: [Routes.Rung]
    let started: Int64
    let openUntil: Int64?
}

/// One provider's load, for metrics and tests.
public struct ProviderLoad: Sendable, Equatable {
    public let provider: String
    /// Sends in flight now.
    public let inFlight: Int
    /// Jobs waiting for a slot or a token.
    public let waiting: Int
    /// Whether the waiting ones wait for a token (the rate), not for a slot (the concurrency).
    public let waitingForToken: Bool
    /// Throttle answers seen (429, Meta 130429, Twilio 20429, …).
    public let throttled: Int
    /// Sends per second allowed now; nil: unlimited.
    public let rate: Double?
}

/// Hands claimed jobs to providers: per provider at most `concurrency` sends in flight and
/// `rate_per_second` started (`ProviderGate`); the rest wait in expiry order. A started send runs
/// on a multi driver (`CurlMulti`: HTTP and SMTP, no thread waiting on the network) or, for
/// providers that can only block, on a `BlockingLanes` thread; its completion records the try
/// through the `FinishQueue` and starts the next job of that provider.
final class DeliveryScheduler: Sendable {
    final class Gate: Sendable {
        let spec: ProviderSpec
        let state: Mutex<ProviderGate<ScheduledJob>>
        /// A provider that only blocks sends on the lanes: no more in flight than there are lanes,
        /// so the rest wait here in expiry order (and go back at a stop) rather than in a lane's queue.
        init(spec: ProviderSpec, lanes: Int, now: Int64) {
            self.spec = spec
            let (rate, burst) = spec.rate
            let blocking = !spec.make().preparesSends
            let concurrency = blocking ? min(spec.concurrency, max(1, lanes)) : spec.concurrency
            state = Mutex(ProviderGate(concurrency: concurrency, ratePerSecond: rate, burst: burst, now: now))
        }
    }

    /// Provider instances for `prepare` (request building only; their blocking clients are never
    /// made here), checked out by whichever driver thread starts a send.
    final class Instances: @unchecked Sendable {
        private let specs: [String: ProviderSpec]
        private let pool = Mutex<[String: [UnsafeSendable]]>([:])
        struct UnsafeSendable: @unchecked Sendable { let provider: any Provider }

        init(specs: [String: ProviderSpec]) { self.specs = specs }

        func with<T>(_ name: String, _ body: (any Provider) -> T) -> T? {
            let box = pool.withLock { $0[name]?.popLast() } ?? specs[name].map { UnsafeSendable(provider: $0.make()) }
            guard let box else { return nil }
            defer { pool.withLock { $0[name, default: []].append(box) } }
            return body(box.provider)
        }
    }

    let context: DeliveryContext
    let finishes: FinishQueue
    /// The pool's settle: the job leaves the claim window.
    let settle: @Sendable (ClaimedJob, Bool) -> Void
    let gates: [String: Gate]
    let drivers: [CurlMulti]
    let lanes: BlockingLanes
    let instances: Instances
    private let nextDriver = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// Jobs that came back for another rung after the stop began: returned with the unstarted.
    private let lateUnstarted = Mutex<[ClaimedJob]>([])

    init(
        context: DeliveryContext, finishes: FinishQueue, settle: @escaping @Sendable (ClaimedJob, Bool) -> Void
    ) {
        self.context = context
        self.finishes = finishes
        self.settle = settle
        let config = context.configuration
        let now = context.monotonic.elapsedMillis()
        var gates: [String: Gate] = [:]
        for (name, spec) in config.providers { gates[name] = Gate(spec: spec, lanes: config.workers, now: now) }
        self.gates = gates
        drivers = (0..<max(1, config.deliveryThreads)).map { CurlMulti(name: "delivery-curl-\($0)") }
        lanes = BlockingLanes(limit: config.workers, specs: config.providers, handlers: context.handlers)
        instances = Instances(specs: config.providers)
    }

    func start() {
        drivers[0].onTick = { [weak self] in self?.tick() }
        for d in drivers { d.start() }
    }

    /// Per-provider load now.
    var load: [ProviderLoad] {
        gates.values.map { g in
            g.state.withLock { s in
                ProviderLoad(
                    provider: g.spec.name, inFlight: s.active, waiting: s.waiting.count, waitingForToken: s.waitingForToken,
                    throttled: s.governor.throttles, rate: s.governor.rate)
            }
        }.sorted { $0.provider < $1.provider }
    }

    // MARK: admission

    /// Jobs handed over by the dispatcher (or by a rung whose breaker refused them).
    func admit(_ jobs: [ClaimedJob]) {
        let now = context.clock.nowMillis()
        for job in jobs { route(job, from: job.routeStep, started: now, openUntil: nil) }
    }

    /// Picks the job's rung from `step` on (skipping open breakers) and queues it there, or
    /// finishes it when there is nothing to send (expired, no route, every breaker open).
    func route(_ job: ClaimedJob, from step: Int, started: Int64, openUntil: Int64?) {
        if stopping.load(ordering: .acquiring) {
            lateUnstarted.withLock { $0.append(job) }
            return settle(job, true)
        }
        let config = context.configuration
        if started >= job.expiresAt {
            return finish(
                job, .expired,
                AttemptReport(
                    outcome: .expired, provider: nil, startedAt: started, finishedAt: started, errorClass: "expired",
                    errorMessage: "validity passed before sending"))
        }
        if job.kind != .otp, context.handlers[job.kind] != nil {
            return lanes.submit(handlerWork(job))
        }
        guard job.kind == .otp, let channel = Channel(rawValue: job.channel) else {
            return finish(
                job, .dead(reason: "no delivery for \(job.kind.rawValue) on \(job.channel)"),
                report(.permanent, nil, started, errorClass: "unsupported"))
        }
        let rungs = config.routes.rungs(for: channel)
        guard job.routeStep < rungs.count else {
            let why = rungs.isEmpty ? "no route for \(channel.rawValue)" : "route exhausted at step \(job.routeStep)"
            return finish(job, .dead(reason: why), report(.permanent, nil, started, errorClass: "no_route"))
        }
        var openUntil = openUntil
        let mono = context.monotonic.elapsedMillis()
        for rung in rungs[min(step, rungs.count)...] {
            guard let gate = gates[rung.provider], let breaker = context.breakers[rung.provider] else {
                return finish(
                    job, .dead(reason: "provider \(rung.provider) is not configured"),
                    report(.permanent, rung, started, errorClass: "no_provider"))
            }
            if let retryAt = breaker.retryAt(now: mono) {
                let wall = context.clock.nowMillis() + max(0, retryAt - mono)
                openUntil = min(openUntil ?? wall, wall)
                continue
            }
            gate.state.withLock {
                $0.enqueue(
                    ScheduledJob(job: job, rung: rung, rungs: rungs, started: started, openUntil: openUntil),
                    expiresAt: job.expiresAt)
            }
            return pump(gate)
        }
        // Every remaining rung is open: wait for the first probe, bounded by the expiry only.
        let now = context.clock.nowMillis()
        let at = max(now, openUntil ?? now)
        let transition: JobTransition
        switch config.retry.deferral(until: at, expiresAt: job.expiresAt) {
        case .retry(let runAt): transition = .retry(runAt: runAt)
        default: transition = .expired
        }
        finish(
            job, transition,
            report(
                .retryable, nil, started, errorClass: "circuit_open",
                errorMessage: "every provider of the route is paused by its circuit breaker"))
    }

    /// Starts what the provider's slots and tokens allow, each on a driver thread (round robin).
    func pump(_ gate: Gate) {
        let now = context.monotonic.elapsedMillis()
        let (start, retryIn) = gate.state.withLock { $0.admit(now: now) }
        if let retryIn { drivers[0].requestTick(inMillis: retryIn) }
        for s in start {
            let i = nextDriver.add(1, ordering: .relaxed).oldValue
            let driver = drivers[i % drivers.count]
            driver.post { [self] in begin(s, gate: gate, driver: driver) }
        }
    }

    /// Token waits: pumps every provider with jobs waiting; the delay to the next tick, if any.
    private func tick() -> Int64? {
        for g in gates.values where g.state.withLock({ !$0.waiting.isEmpty }) { pump(g) }
        return nil  // a gate still short of tokens asked for its own tick in `pump`
    }

    /// A started send ended: frees its slot and starts the next. `answered`: the provider answered
    /// it (its monotonic time), for the rate governor's share of throttles.
    func release(_ gate: Gate, unused: Bool = false, answered: Int64? = nil) {
        gate.state.withLock { $0.done(unused: unused, answeredAt: answered) }
        pump(gate)
    }

    // MARK: stopping

    /// Stops admitting; returns the jobs waiting for a slot or token (not started: their leases go
    /// back), already settled.
    func stopAdmitting() -> [ClaimedJob] {
        stopping.store(true, ordering: .releasing)
        var waiting: [ClaimedJob] = []
        for g in gates.values { waiting += g.state.withLock { $0.removeWaiting() }.map(\.job) }
        for j in waiting { settle(j, true) }
        return waiting
    }

    /// Jobs routed again after `stopAdmitting` (a breaker refused their rung as they started).
    func takeLateUnstarted() -> [ClaimedJob] {
        lateUnstarted.withLock { l in
            defer { l = [] }; return l
        }
    }

    /// Lets sends in flight finish until `deadline`; true when none had to be abandoned.
    func drain(until deadline: Deadline) -> Bool {
        var ok = true
        for d in drivers where !d.shutdown(by: deadline) { ok = false }
        if !lanes.stop(until: deadline.dispatchTime) { ok = false }
        return ok
    }

    // MARK: helpers

    func report(
        _ outcome: AttemptOutcome, _ rung: Routes.Rung?, _ started: Int64, finishedAt: Int64? = nil,
        errorClass: String? = nil, errorMessage: String? = nil
    ) -> AttemptReport {
        AttemptReport(
            outcome: outcome, channel: rung.map(\.channel.rawValue), provider: rung?.provider,
            startedAt: started, finishedAt: finishedAt ?? context.clock.nowMillis(),
            errorClass: errorClass, errorMessage: errorMessage)
    }

    /// Hands the try to the finish queue (committed in a batch with others).
    func finish(_ job: ClaimedJob, _ transition: JobTransition, _ report: AttemptReport) {
        finishes.submit(job, transition, report)
    }
}
