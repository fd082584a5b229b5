import Foundation

/// A provider's send rate: the configured `rate_per_second` + `burst` (or none), lowered when the
/// provider says it is throttling us (HTTP 429, Meta 130429, Twilio 20429) and raised back step by
/// step while it does not. Pure; the monotonic time comes from the caller. Unit-tested (with a
/// simulated rate-limited provider and a provider that throttles at random) in `TokenBucketTests`.
///
/// - On a throttle: the rate halves (from the configured one, or from the rate of the last second
///   when none is configured), never below `minimumRate`. Throttles within one `step` of the last
///   cut count once (they answer the same burst).
/// - A cut made on `judgedAnswers` answers or more over a `step` is judged at the next throttle,
///   once as many answers came at the lower rate:
///   when it neither lowered the share of throttles (to under `helpedShare` of the share before)
///   nor kept what got through (the accepted sends a second fell with the rate), the throttles do
///   not come from our pace (a provider that refuses some requests whatever the rate; never a
///   share of `noiseCeiling` or more): the cut is
///   undone and that share is taken as the provider's noise. For `noiseLifetime` after a throttle
///   last fitted it, throttles cut the rate only when their share passes twice the noise (and at
///   least `noiseMargin` more). A provider with a real limit keeps its cuts: at half the rate its
///   share of throttles falls (under the limit) or what it accepts stays the same (far over it).
///   Without this, halving on every throttle held a provider that refused one request in ten at
///   two or three sends a second.
/// - A `Retry-After` pauses every send of the provider until then only while throttles are at
///   least half of its answers of the last two steps: the provider refuses what we send. A throttle
///   among answers that mostly pass delays its own job (the retry's `run_at` honours it) but does
///   not stop the others.
/// - Below the configured rate the burst is a quarter of a second's sends (the provider throttled
///   us: no saved-up second at once).
/// - Every `step` without a cut: the rate grows by a quarter, up to the configured rate, or, with
///   none configured, until it passes twice the rate that was cut: then the limit is lifted.
struct RateGovernor: Sendable, Equatable {
    static let step: Int64 = 1_000
    static let minimumRate = 1.0
    static let judgedAnswers = 20
    static let helpedShare = 0.6
    static let keptAccepted = 0.75
    static let noiseLifetime: Int64 = 60_000
    static let noiseMargin = 0.02
    /// A share of throttles this high is never noise: the provider refuses most of what we send.
    static let noiseCeiling = 0.5

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
    /// The last cut, to be judged, and what came back since.
    private var cut: Cut?
    /// The share of throttles that is the provider's noise, and until when it holds.
    private(set) var noise: Noise?

    struct Noise: Sendable, Equatable {
        let share: Double
        let until: Int64
    }

    private struct Cut: Sendable, Equatable {
        let at: Int64
        /// The rate before (nil: unlimited) and the limit's ceiling then.
        let from: Double?
        let ceiling: Double
        let share: Double
        /// Sends the provider accepted a second before the cut.
        let accepted: Double
        /// Enough answers before the cut to judge it by (else it stands).
        let judgeable: Bool
        var answers = 0
        var throttles = 0
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
        cut?.answers += 1
    }

    /// The provider throttled a send: maybe cut the rate; pause until `retryAfter` (ms from now) if
    /// given and throttles dominate the provider's answers.
    mutating func throttled(now: Int64, retryAfterMillis: Int64?) {
        throttles += 1
        roll(now)
        throttlesSeen.current += 1
        cut?.throttles += 1
        // Shares count the answer being judged: its `answered` comes after this.
        let share = Double(throttlesSeen.total) / Double(answers.total + 1)
        if lastCut.map({ now - $0 >= RateGovernor.step }) ?? true, !isNoise(share: share, now: now) {
            if let c = cut, c.judgeable, c.answers >= RateGovernor.judgedAnswers, !helped(c, now: now) {
                undo(c, now: now)
            } else {
                lower(now: now, share: share)
            }
        }
        if let ms = retryAfterMillis, ms > 0, throttlesSeen.total * 2 >= answers.total + 1, var b = bucket {
            b.pause(until: now + min(ms, 60_000), now: now)
            bucket = b
        }
    }

    /// Whether throttles at `share` fit the noise seen (and refreshes it then).
    private mutating func isNoise(share: Double, now: Int64) -> Bool {
        guard let n = noise, now < n.until else {
            noise = nil
            return false
        }
        guard share <= max(2 * n.share, n.share + RateGovernor.noiseMargin) else { return false }
        noise = Noise(share: n.share, until: now + RateGovernor.noiseLifetime)
        return true
    }

    /// Whether the cut `c` lowered the share of throttles, or kept what the provider accepted.
    private func helped(_ c: Cut, now: Int64) -> Bool {
        let share = Double(c.throttles) / Double(max(1, c.answers))
        let accepted = Double(c.answers - c.throttles) * 1000 / Double(max(1, now - c.at))
        return share < c.share * RateGovernor.helpedShare || accepted >= c.accepted * RateGovernor.keptAccepted
            || share >= RateGovernor.noiseCeiling
    }

    private mutating func lower(now: Int64, share: Double) {
        // Sends a second over the window (at least a tenth of a second of it: a cut in the first
        // milliseconds would otherwise read a handful of sends as the rate).
        let observed = Double(sends.total) * 1000 / Double(max(100, span(now)))
        let from = bucket?.rate ?? max(RateGovernor.minimumRate * 2, observed)
        let accepted = Double(answers.total + 1 - throttlesSeen.total) * 1000 / Double(span(now))
        let judgeable = answers.total + 1 >= RateGovernor.judgedAnswers && span(now) >= RateGovernor.step
        cut = Cut(at: now, from: bucket?.rate, ceiling: ceiling, share: share, accepted: accepted, judgeable: judgeable)
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

    /// The cut did not help: back to the rate before it; its share of throttles is noise.
    private mutating func undo(_ c: Cut, now: Int64) {
        let share = Double(c.throttles) / Double(max(1, c.answers))
        noise = Noise(share: share, until: now + RateGovernor.noiseLifetime)
        cut = nil
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
