import Outbox
import RelayCore

/// One worker thread's view: its own provider instances, and the path of one claimed job from
/// route selection through the send to `finish`. Confined to its thread.
final class DeliveryWorker {
    let context: DeliveryContext
    private let providers: WorkerProviders
    private var handlers: [JobKind: any JobHandler] = [:]
    private let finishes: FinishQueue
    /// Whether the last `process` handed a finish to `finishes` (otherwise the job is settled at once).
    private(set) var submittedFinish = false

    init(context: DeliveryContext, finishes: FinishQueue) {
        self.context = context
        self.finishes = finishes
        self.providers = WorkerProviders(specs: context.configuration.providers)
    }

    private var clock: any WallClock { context.clock }
    private var config: DeliveryConfiguration { context.configuration }

    /// Delivers one claimed job and hands the try to the finish queue, which records it without
    /// this thread waiting for the commit. Never throws: store failures are retried or logged, and
    /// the lease runs out, so the rescuer brings the job back.
    func process(_ job: ClaimedJob) {
        submittedFinish = false
        let started = clock.nowMillis()
        if started >= job.expiresAt {
            return finish(
                job, .expired,
                AttemptReport(
                    outcome: .expired, provider: nil, startedAt: started,
                    finishedAt: started, errorClass: "expired",
                    errorMessage: "validity passed before sending"))
        }
        if job.kind != .otp, let make = context.handlers[job.kind] {
            let handler = handlers[job.kind] ?? make()
            handlers[job.kind] = handler
            let (transition, report) = handler.handle(job, now: started)
            return finish(job, transition, report)
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
        var openUntil: Int64?
        for rung in rungs[job.routeStep...] {
            switch attempt(job, rung: rung, rungs: rungs, started: started) {
            case .done:
                return
            case .breakerOpen(let retryAt):
                openUntil = min(openUntil ?? retryAt, retryAt)
            }
        }
        // Every remaining rung is open: wait for the first probe, bounded by the expiry only.
        let now = clock.nowMillis()
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

    private enum RungResult {
        case done
        case breakerOpen(retryAt: Int64)
    }

    /// Tries one rung: waits for the provider's concurrency slot, asks its breaker, checks that the
    /// lease is still held (the pool's renewer keeps it alive through the send), sends, and
    /// finishes the job.
    private func attempt(_ job: ClaimedJob, rung: Routes.Rung, rungs: [Routes.Rung], started: Int64) -> RungResult {
        let limit = context.limits[rung.provider]
        limit?.wait()
        defer { limit?.signal() }
        guard let breaker = context.breakers[rung.provider], let provider = providers.provider(named: rung.provider) else {
            finish(
                job, .dead(reason: "provider \(rung.provider) is not configured"),
                report(.permanent, rung, started, errorClass: "no_provider"))
            return .done
        }
        // The breaker runs on the monotonic clock; its retry time becomes a wall time point (run_at).
        let permit = breaker.acquire(now: context.monotonic.elapsedMillis())
        if case .rejected(let retryAt) = permit {
            return .breakerOpen(retryAt: clock.nowMillis() + max(0, retryAt - context.monotonic.elapsedMillis()))
        }
        if case .probe = permit { context.logger.info("circuit half-open: probing", ["provider": .string(rung.provider)]) }
        guard keepLease(job) else {
            breaker.cancelProbe()
            return .done
        }
        let message = render(job, channel: rung.channel)
        let sendStart = clock.nowMillis()
        let outcome = provider.send(message)
        let now = clock.nowMillis()
        let before = breaker.state
        let after = breaker.record(failed: OutcomeJudgement.isProviderFailure(outcome), now: context.monotonic.elapsedMillis())
        if after != before {
            context.logger.warning("circuit breaker", ["provider": .string(rung.provider), "state": .string("\(after)")])
            context.emit(.breaker(provider: rung.provider, state: after))
        }
        let attemptsMade = job.attempts + 1
        var (transition, recorded) = OutcomeJudgement.transition(
            for: outcome, rung: rung, rungs: rungs, attemptsMade: attemptsMade, now: now,
            expiresAt: job.expiresAt, retry: config.retry)
        if transition == .sent, config.providers[rung.provider]?.receipts != nil {
            transition = ReceiptJudgement.accepted(rung: rung, rungs: rungs, now: now, expiresAt: job.expiresAt, config: config)
        }
        var r = report(
            recorded, rung, sendStart, finishedAt: now, errorClass: OutcomeJudgement.errorClass(outcome),
            errorMessage: outcome.reason)
        if provider.kind == "smtp" { r.smtpStatus = outcome.status } else { r.httpStatus = outcome.status }
        if case .sent(let id, _) = outcome { r.providerMessageID = id }
        finish(job, transition, r)
        return .done
    }

    /// True while this pool holds the lease with at least half of it left, renewing it first when
    /// less is left (the renewer runs every third of the lease, so that is rare: renewals failing).
    /// False when the lease was lost: the job belongs to someone else now, or will be rescued.
    private func keepLease(_ job: ClaimedJob) -> Bool {
        let half = config.lease.wholeMilliseconds / 2
        if let left = context.leases.remaining(job), left >= half { return true }
        if context.leases.remaining(job) != nil { context.leases.renew(only: [job.id]) }
        if let left = context.leases.remaining(job), left >= half { return true }
        context.emit(.leaseLost(jobID: job.id))
        return false
    }

    private func render(_ job: ClaimedJob, channel: Channel) -> OutgoingMessage {
        let validity = max(1, Int((job.expiresAt - job.createdAt + 59_999) / 60_000))
        var message = config.templates.render(
            jobID: job.id, channel: channel, recipient: job.recipient, otp: String(decoding: job.secret, as: UTF8.self),
            language: job.language ?? config.language, validityMinutes: validity, appName: job.app ?? config.appName)
        message.expiresAt = job.expiresAt
        return message
    }

    private func report(
        _ outcome: AttemptOutcome, _ rung: Routes.Rung?, _ started: Int64, finishedAt: Int64? = nil,
        errorClass: String? = nil, errorMessage: String? = nil
    ) -> AttemptReport {
        AttemptReport(
            outcome: outcome, channel: rung.map(\.channel.rawValue), provider: rung?.provider,
            startedAt: started, finishedAt: finishedAt ?? clock.nowMillis(),
            errorClass: errorClass, errorMessage: errorMessage)
    }

    /// Hands the try to the finish queue (committed in a batch with other workers' finishes).
    private func finish(_ job: ClaimedJob, _ transition: JobTransition, _ report: AttemptReport) {
        submittedFinish = true
        finishes.submit(job, transition, report)
    }
}
