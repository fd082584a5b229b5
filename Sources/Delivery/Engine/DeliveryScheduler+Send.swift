import Outbox
import RelayCore
import Transport

/// The send of one scheduled job, on a driver thread: the breaker's permit, the lease check, the
/// message, then the transfer (multi driver) or the blocking send (a lane); its completion judges
/// the outcome, feeds the breaker and the rate governor, and records the try.
extension DeliveryScheduler {
    func begin(_ s: ScheduledJob, gate: Gate, driver: CurlMulti) {
        let job = s.job
        let rung = s.rung
        guard let breaker = context.breakers[rung.provider] else { return release(gate, unused: true) }
        // The breaker runs on the monotonic clock; its retry time becomes a wall time point (run_at).
        let mono = context.monotonic.elapsedMillis()
        let permit = breaker.acquire(now: mono)
        if case .rejected(let retryAt) = permit {
            release(gate, unused: true)
            let wall = context.clock.nowMillis() + max(0, retryAt - mono)
            return route(job, from: rung.step + 1, started: s.started, openUntil: min(s.openUntil ?? wall, wall))
        }
        if case .probe = permit { context.logger.info("circuit half-open: probing", ["provider": .string(rung.provider)]) }
        guard keepLease(job) else {
            breaker.cancelProbe()
            release(gate, unused: true)
            return settle(job, true)
        }
        let message = render(job, channel: rung.channel)
        let sendStart = context.clock.nowMillis()
        switch instances.with(rung.provider, { $0.prepare(message) }) ?? nil {
        case .none:
            lanes.submit(
                BlockingLanes.Work(
                    run: { [self] local in
                        let outcome =
                            local.providers.provider(named: rung.provider)?.send(message)
                            ?? .permanent(reason: "provider \(rung.provider) is not configured", status: nil)
                        complete(s, gate: gate, outcome, sendStart: sendStart)
                    },
                    abandon: { [self] in abandoned(s, gate: gate) }))
        case .outcome(let outcome):
            complete(s, gate: gate, outcome, sendStart: sendStart)
        case .http(let request, let configuration, let read):
            driver.perform(http: request, configuration: configuration) { [self] end in
                switch end {
                case .aborted: abandoned(s, gate: gate)
                case .completed(let result): complete(s, gate: gate, read(result), sendStart: sendStart)
                }
            }
        case .smtp(let submission, let configuration, let read):
            driver.perform(smtp: submission, configuration: configuration) { [self] end in
                switch end {
                case .aborted: abandoned(s, gate: gate)
                case .completed(let result): complete(s, gate: gate, read(result), sendStart: sendStart)
                }
            }
        }
    }

    /// The provider answered (or the transport failed): judge, record, free the slot.
    func complete(_ s: ScheduledJob, gate: Gate, _ outcome: DeliveryOutcome, sendStart: Int64) {
        let config = context.configuration
        let rung = s.rung
        let now = context.clock.nowMillis()
        let mono = context.monotonic.elapsedMillis()
        if let breaker = context.breakers[rung.provider] {
            let before = breaker.state
            let after = breaker.record(failed: OutcomeJudgement.isProviderFailure(outcome), now: mono)
            if after != before {
                context.logger.warning("circuit breaker", ["provider": .string(rung.provider), "state": .string("\(after)")])
                context.emit(.breaker(provider: rung.provider, state: after))
            }
        }
        if ThrottleSignal.isThrottle(outcome) {
            gate.state.withLock { $0.throttled(now: mono, retryAfterMillis: outcome.retryAfterMillis) }
            context.emit(.throttled(provider: rung.provider))
        }
        var (transition, recorded) = OutcomeJudgement.transition(
            for: outcome, rung: rung, rungs: s.rungs, attemptsMade: s.job.attempts + 1, now: now,
            expiresAt: s.job.expiresAt, retry: config.retry)
        if transition == .sent, config.providers[rung.provider]?.receipts != nil {
            transition = ReceiptJudgement.accepted(rung: rung, rungs: s.rungs, now: now, expiresAt: s.job.expiresAt, config: config)
        }
        var r = report(
            recorded, rung, sendStart, finishedAt: now, errorClass: OutcomeJudgement.errorClass(outcome),
            errorMessage: outcome.reason)
        if gate.spec.kind == "smtp" { r.smtpStatus = outcome.status } else { r.httpStatus = outcome.status }
        if case .sent(let id, _) = outcome { r.providerMessageID = id }
        finish(s.job, transition, r)
        release(gate, answered: mono)
    }

    /// The send was cut off by the stop deadline: nothing is recorded, the lease stays (the token
    /// busy) and runs out, and the rescuer returns the job (at-least-once).
    func abandoned(_ s: ScheduledJob, gate: Gate) {
        gate.state.withLock { $0.done() }
        settle(s.job, false)
    }

    /// A job of another kind (KYC) on a lane, through its handler.
    func handlerWork(_ job: ClaimedJob) -> BlockingLanes.Work {
        BlockingLanes.Work(
            run: { [self] local in
                guard let handler = local.handler(for: job.kind) else { return settle(job, true) }
                let (transition, report) = handler.handle(job, now: context.clock.nowMillis())
                finish(job, transition, report)
            },
            abandon: { [self] in settle(job, false) })
    }

    /// True while this pool holds the lease with at least half of it left, renewing it first when
    /// less is left (the renewer runs every third of the lease, so that is rare: renewals failing).
    /// False when the lease was lost: the job belongs to someone else now, or will be rescued.
    private func keepLease(_ job: ClaimedJob) -> Bool {
        let half = context.configuration.lease.wholeMilliseconds / 2
        if let left = context.leases.remaining(job), left >= half { return true }
        if context.leases.remaining(job) != nil { context.leases.renew(only: [job.id]) }
        if let left = context.leases.remaining(job), left >= half { return true }
        context.emit(.leaseLost(jobID: job.id))
        return false
    }

    private func render(_ job: ClaimedJob, channel: Channel) -> OutgoingMessage {
        let config = context.configuration
        let validity = max(1, Int((job.expiresAt - job.createdAt + 59_999) / 60_000))
        var message = config.templates.render(
            jobID: job.id, channel: channel, recipient: job.recipient, otp: String(decoding: job.secret, as: UTF8.self),
            language: job.language ?? config.language, validityMinutes: validity, appName: job.app ?? config.appName)
        message.expiresAt = job.expiresAt
        return message
    }
}

/// The answers by which a provider says it is throttling us: HTTP 429, Meta's throughput and
/// application limits (130429, 80007, 4) and Twilio's concurrency and WhatsApp limits (20429, 63018).
/// They lower the provider's rate (`RateGovernor`); the try itself is retried as any retryable.
enum ThrottleSignal {
    static let codes: Set<String> = ["meta 130429", "meta 80007", "meta 4", "twilio 20429", "twilio 63018"]

    static func isThrottle(_ outcome: DeliveryOutcome) -> Bool {
        guard case .retryable = outcome else { return false }
        if outcome.status == 429 { return true }
        return OutcomeJudgement.errorClass(outcome).map(codes.contains) ?? false
    }
}
