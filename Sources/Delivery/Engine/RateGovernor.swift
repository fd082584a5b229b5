import Foundation

/// A provider's send rate: the configured `rate_per_second` + `burst` (or none), lowered when the
/// provider says it is throttling us (HTTP 429, Meta 130429, Twilio 20429) and raised back step by
/// step while it does not. Pure; the monotonic time comes from the caller. Unit-tested in
/// `TokenBucketTests` and against simulated providers (a real limit, random refusals, both, several
/// draws) in `RateGovernorSimulationTests`.
///
/// - A cut halves the rate (the configured one, or the sends a second of the last two steps when
///   none is configured), never below `minimumRate`, at most once a `step` (throttles within it
///   answer the same burst). A throttle cuts when the provider is clearly over a limit (at least
///   `clearlyOverThrottles` throttles making `noiseCeiling` of the answers of the last two steps), or
///   when enough came since the rate last changed to judge by (`judgedAnswers` answers over a
///   `step`); otherwise it holds the rate.
/// - Each cut is judged before the next one and before any raise (the rate is held meanwhile), on
///   enough answers at the lower rate. If it neither lowered the share of throttles (under
///   `helpedShare` of the share before) nor kept what got through (accepted sends a second fell with
///   the rate), the throttles do not come from our pace (a provider that refuses some requests
///   whatever the rate; never `noiseCeiling` or more): the cut is undone and that share is the
///   provider's noise. For `noiseLifetime` after a throttle last fitted it, throttles fit while their
///   count stays within the noise share of the answers plus three binomial standard deviations plus
///   one, and do not cut. A provider with a real limit keeps its cuts: at half the rate its share of
///   throttles falls (under the limit) or what it accepts stays (far over it). A cut made on too
///   little (the first burst) is followed by one period of observation instead of a judgement.
///   Halving on every throttle held a provider that refused one request in ten at two or three sends
///   a second (the chaos `providers` scenario stalled on it).
/// - A `Retry-After` pauses every send of the provider until then only while throttles are at
///   least half of its answers of the last two steps (an unlimited provider gets a bucket for it):
///   the provider refuses what we send. A throttle among answers that mostly pass delays its own job
///   (the retry's `run_at` honours it) but does not stop the others.
/// - Below the configured rate the burst is a quarter of a second's sends (the provider throttled
///   us: no saved-up second at once).
/// - Every `step` without a cut (and no cut awaiting judgement): the rate grows by a quarter, up to
///   the configured rate, or, with none configured, until it passes twice the rate that was cut:
///   then the limit is lifted.
struct RateGovernor: Sendable, Equatable {
    static let step: Int64 = 1_000
    static let minimumRate = 1.0
    static let judgedAnswers = 20
    static let helpedShare = 0.6
    static let keptAccepted = 0.75
    static let noiseLifetime: Int64 = 60_000
    /// Throttles in the last two steps before a share of `noiseCeiling` counts as clearly over a limit.
    static let clearlyOverThrottles = 3
    /// A share of throttles this high is never noise: the provider refuses most of what we send.
    static let noiseCeiling = 0.25

    let configuredRate: Double?
    let configuredBurst: Double?
    private(set) var bucket: TokenBucket?
    /// The rate cut from (no configured rate): the limit is lifted past twice this.
    private var ceiling: Double = 0
    private var lastCut: Int64?
    private var lastRaise: Int64?
    /// Sends started in the current and previous `step` (the observed rate).
    private var windowStart: Int64
    private var sends = Window()
    /// Answers (throttles included) and throttles of the current and previous `step`.
    private var answers = Window()
    private var throttlesSeen = Window()
    private(set) var throttles = 0
    /// The last cut, until judged.
    private var cut: Cut?
    /// Answers and throttles since the rate last changed by a cut or an undo.
    private var period = Period()
    /// The share of throttles that is the provider's noise, and until when it holds.
    private(set) var noise: Noise?

    struct Noise: Sendable, Equatable {
        let share: Double
        let until: Int64
    }

    private struct Period: Sendable, Equatable {
        var since: Int64 = 0
        var answers = 0
        var throttles = 0
        /// Judged at a throttle, whose `answered` comes after `throttled`: it counts as an answer.
        var share: Double { Double(throttles) / Double(answers + 1) }
        /// Enough to judge by: `judgedAnswers` answers over a `step` at least (a provider's own
        /// burst lets the first requests of a second through).
        func enough(_ now: Int64) -> Bool { answers + 1 >= RateGovernor.judgedAnswers && now - since >= RateGovernor.step }
        /// Accepted sends a second (`now` its end).
        func accepted(_ now: Int64) -> Double { Double(answers + 1 - throttles) * 1000 / Double(max(1, now - since)) }
    }

    private struct Cut: Sendable, Equatable {
        /// The rate before (nil: unlimited) and the limit's ceiling then.
        let from: Double?
        let ceiling: Double
        /// The period before the cut: its share of throttles and accepted sends a second.
        let share: Double
        let accepted: Double
        /// Fewer than `judgedAnswers` answers before the cut (the first burst).
        let thin: Bool
    }

    /// A count over the current and the previous `step`.
    private struct Window: Sendable, Equatable {
        var current = 0
        var previous = 0
        var total: Int { current + previous }
        mutating func roll(steps: Int64) {
            previous = steps == 1 ? current : 0
            current = 0
        }
    }

    init(ratePerSecond: Double?, burst: Double?, now: Int64) {
        configuredRate = ratePerSecond
        configuredBurst = burst
        windowStart = now
        period = Period(since: now)
        if let r = ratePerSecond { bucket = TokenBucket(rate: r, burst: burst ?? max(1, r), now: now) }
    }

    /// The rate in force now; nil when unlimited.
    var rate: Double? { bucket?.rate }
    var isReduced: Bool {
        guard let r = bucket?.rate else { return false }
        return configuredRate.map { r < $0 } ?? true
    }

    private mutating func roll(_ now: Int64) {
        while now - windowStart >= RateGovernor.step {
            let steps: Int64 = now - windowStart >= 2 * RateGovernor.step ? 2 : 1
            sends.roll(steps: steps)
            answers.roll(steps: steps)
            throttlesSeen.roll(steps: steps)
            windowStart = steps == 2 ? now : windowStart + RateGovernor.step
        }
    }

    /// Milliseconds the two-step window covers now (at least one).
    private func span(_ now: Int64) -> Int64 {
        max(1, now - windowStart + (answers.previous > 0 || sends.previous > 0 ? RateGovernor.step : 0))
    }

    /// Takes the permission for one send now.
    mutating func take(now: Int64) -> Bool {
        adjust(now: now)
        if var b = bucket {
            let ok = b.take(now: now)
            bucket = b
            if !ok { return false }
        }
        roll(now)
        sends.current += 1
        return true
    }

    mutating func giveBack() { bucket?.giveBack() }

    /// Milliseconds until a send may start (0: now).
    mutating func wait(now: Int64) -> Int64 {
        adjust(now: now)
        guard var b = bucket else { return 0 }
        defer { bucket = b }
        return b.wait(now: now)
    }

    /// A started send was answered (a throttle too: `throttled` is called first).
    mutating func answered(now: Int64) {
        roll(now)
        answers.current += 1
        period.answers += 1
    }

    /// The provider throttled a send: maybe cut the rate; pause until `retryAfter` (ms from now) if
    /// given and throttles dominate the provider's answers.
    mutating func throttled(now: Int64, retryAfterMillis: Int64?) {
        throttles += 1
        roll(now)
        throttlesSeen.current += 1
        period.throttles += 1
        if lastCut.map({ now - $0 >= RateGovernor.step }) ?? true, !isNoise(now: now) {
            judgeAndCut(now: now)
        }
        if let ms = retryAfterMillis, ms > 0, throttlesSeen.total * 2 >= answers.total + 1 {
            if bucket == nil { lower(now: now) }  // an unlimited provider gets a bucket to hold the pause
            if var b = bucket {
                b.pause(until: now + min(ms, 60_000), now: now)
                bucket = b
            }
        }
    }

    /// A throttle that may cut: the rate is cut when throttles are at least `noiseCeiling` of the
    /// answers of the last two steps and at least `clearlyOverThrottles` (clearly over a limit), or
    /// when enough answers came since the rate last changed to judge by; the last cut, if any, is
    /// judged first (a cut that did not help is undone instead).
    private mutating func judgeAndCut(now: Int64) {
        let clearlyOver =
            throttlesSeen.total >= RateGovernor.clearlyOverThrottles
            && Double(throttlesSeen.total) / Double(answers.total + 1) >= RateGovernor.noiseCeiling
        guard period.enough(now) else {
            if clearlyOver { lower(now: now) }
            return  // hold: too few answers at this rate to tell
        }
        if clearlyOver || judge(now: now) { lower(now: now) }
    }

    /// Judges the pending cut on the answers since it (enough of them): true when there is none
    /// or it helped; a cut that did not is undone (the throttles are noise); a cut made on too
    /// little (the first burst) makes this period the "before" of the next one.
    private mutating func judge(now: Int64) -> Bool {
        guard let c = cut else { return true }
        if period.share >= RateGovernor.noiseCeiling { return true }
        if c.thin {
            cut = nil
            period = Period(since: now)
            return true
        }
        let helped =
            period.share < c.share * RateGovernor.helpedShare || period.accepted(now) >= c.accepted * RateGovernor.keptAccepted
        if !helped { undo(c, share: period.share, now: now) }
        return helped
    }

    /// Whether the recent throttles fit the noise seen (and refreshes it then): no more than the
    /// noise share of the answers plus three standard deviations of that count (binomial) plus one,
    /// over the last two steps when they hold `judgedAnswers` answers, else since the undo.
    private mutating func isNoise(now: Int64) -> Bool {
        guard let n = noise, now < n.until else {
            noise = nil
            return false
        }
        let (count, refused) =
            answers.total + 1 >= RateGovernor.judgedAnswers
            ? (answers.total + 1, throttlesSeen.total) : (period.answers + 1, period.throttles)
        let expected = Double(count) * n.share
        let bound = expected + 3 * (expected * (1 - n.share)).squareRoot() + 1
        guard Double(refused) <= bound else { return false }
        noise = Noise(share: n.share, until: now + RateGovernor.noiseLifetime)
        return true
    }

    private mutating func lower(now: Int64) {
        // Sends a second over the window (at least a tenth of a second of it: a cut in the first
        // milliseconds would otherwise read a handful of sends as the rate).
        let observed = Double(sends.total) * 1000 / Double(max(100, span(now)))
        let from = bucket?.rate ?? max(RateGovernor.minimumRate * 2, observed)
        cut = Cut(
            from: bucket?.rate, ceiling: ceiling, share: period.share, accepted: period.accepted(now),
            thin: !period.enough(now))
        period = Period(since: now)
        let lowered = max(RateGovernor.minimumRate, from / 2)
        if bucket == nil { ceiling = from }
        let burst = burst(at: lowered)
        if var b = bucket {
            b.set(rate: lowered, burst: burst, now: now)
            bucket = b
        } else {
            var b = TokenBucket(rate: lowered, burst: burst, now: now)
            _ = b.take(now: now)  // start empty-ish: the provider just said no
            bucket = b
        }
        lastCut = now
        lastRaise = now
    }

    /// The cut did not help: back to the rate before it; the share of throttles since is noise.
    private mutating func undo(_ c: Cut, share: Double, now: Int64) {
        noise = Noise(share: share, until: now + RateGovernor.noiseLifetime)
        cut = nil
        period = Period(since: now)
        ceiling = c.ceiling
        if let r = c.from, var b = bucket {
            b.set(rate: r, burst: burst(at: r), now: now)
            bucket = b
        } else {
            bucket = nil
        }
        lastCut = nil
        lastRaise = now
    }

    /// Raises a reduced rate by a quarter per `step` without a cut.
    mutating func adjust(now: Int64) {
        guard isReduced, var b = bucket else { return }
        if let c = lastCut, now - c < RateGovernor.step { return }
        if let r = lastRaise, now - r < RateGovernor.step { return }
        // A pending cut holds the rate until it is judged (raised meanwhile, the answers would
        // not tell the lower rate's): once judged helpful, raising resumes.
        if cut != nil {
            guard period.enough(now) else { return }
            let helped = judge(now: now)
            cut = nil
            guard helped, isReduced, let held = bucket else { return }
            b = held
        }
        let quiet = lastRaise.map { Double(min(20, (now - $0) / RateGovernor.step)) } ?? 1
        let raised = b.rate * pow(1.25, max(1, quiet))
        lastRaise = now
        if let target = configuredRate {
            let r = min(target, raised)
            b.set(rate: r, burst: burst(at: r), now: now)
            bucket = b
        } else if raised >= ceiling * 2 {
            bucket = nil
        } else {
            b.set(rate: raised, burst: burst(at: raised), now: now)
            bucket = b
        }
    }

    /// The burst at rate `r`: the configured one at the configured rate; below it (the provider
    /// throttled us) a quarter of a second's sends at most, so a saved-up second does not go out at
    /// once into the limit that just refused us.
    private func burst(at r: Double) -> Double {
        if let target = configuredRate, r >= target { return configuredBurst ?? target }
        return max(1, min(configuredBurst ?? r, r / 4))
    }
}
