import Foundation

/// A token bucket on the monotonic clock (milliseconds from the caller: injectable, pure):
/// `rate` tokens a second, at most `burst` saved up. Unit-tested in `TokenBucketTests`.
struct TokenBucket: Sendable, Equatable {
    private(set) var rate: Double
    private(set) var burst: Double
    private(set) var tokens: Double
    private var last: Int64
    /// Refills in steps of a millisecond add up with rounding errors.
    static let epsilon = 1e-9

    init(rate: Double, burst: Double, now: Int64) {
        self.rate = max(0.001, rate)
        self.burst = max(1, burst)
        self.tokens = self.burst
        self.last = now
    }

    private mutating func refill(_ now: Int64) {
        guard now > last else { return }
        tokens = min(burst, tokens + Double(now - last) * rate / 1000)
        last = now
    }

    /// Takes one token if there is one.
    mutating func take(now: Int64) -> Bool {
        refill(now)
        guard tokens >= 1 - TokenBucket.epsilon else { return false }
        tokens -= 1
        return true
    }

    /// Puts back a token taken for a send that did not happen.
    mutating func giveBack() { tokens = min(burst, tokens + 1) }

    /// Milliseconds until the next token (0 when one is there).
    mutating func wait(now: Int64) -> Int64 {
        refill(now)
        if tokens >= 1 - TokenBucket.epsilon { return 0 }
        return Int64(((1 - tokens) * 1000 / rate).rounded(.up))
    }

    /// A new rate (and burst) from now on; tokens saved are kept up to the new burst. A negative
    /// balance (a pause) is kept too.
    mutating func set(rate: Double, burst: Double, now: Int64) {
        refill(now)
        self.rate = max(0.001, rate)
        self.burst = max(1, burst)
        tokens = min(tokens, self.burst)
    }

    /// No token before `until` (a provider's `Retry-After` on a throttle); one at `until`.
    mutating func pause(until: Int64, now: Int64) {
        refill(now)
        guard until > now else { return }
        tokens = min(tokens, 1 - Double(until - now) * rate / 1000)
    }
}

/// A provider's send rate: the configured `rate_per_second` + `burst` (or none), lowered when the
/// provider says it is throttling us (HTTP 429, Meta 130429, Twilio 20429) and raised back step by
/// step while it does not. Pure; the monotonic time comes from the caller.
///
/// - On a throttle: the rate halves (from the configured one, or from the rate of the last second
///   when none is configured), never below `minimumRate`; a `Retry-After` pauses tokens until then.
///   Throttles within one `step` of the last cut count once (they answer the same burst).
/// - Every `step` without a throttle: the rate grows by a quarter, up to the configured rate, or,
///   with none configured, until it passes twice the rate that was cut: then the limit is lifted.
struct RateGovernor: Sendable, Equatable {
    static let step: Int64 = 1_000
    static let minimumRate = 1.0

    let configuredRate: Double?
    let configuredBurst: Double?
    private(set) var bucket: TokenBucket?
    /// The rate cut from (no configured rate): the limit is lifted past twice this.
    private var ceiling: Double = 0
    private var lastCut: Int64?
    private var lastRaise: Int64?
    /// Sends started in the current and previous `step` (the observed rate).
    private var windowStart: Int64
    private var inWindow = 0
    private var previousWindow = 0
    private(set) var throttles = 0

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
            previousWindow = inWindow
            inWindow = 0
            windowStart += RateGovernor.step
            if now - windowStart >= 2 * RateGovernor.step {
                previousWindow = 0
                windowStart = now
            }
        }
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
        inWindow += 1
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

    /// The provider throttled a send: cut the rate; pause until `retryAfter` (ms from now) if given.
    mutating func throttled(now: Int64, retryAfterMillis: Int64?) {
        throttles += 1
        roll(now)
        if lastCut.map({ now - $0 >= RateGovernor.step }) ?? true {
            let observed = Double(max(previousWindow, inWindow))
            let from = bucket?.rate ?? max(RateGovernor.minimumRate * 2, observed)
            let cut = max(RateGovernor.minimumRate, from / 2)
            if bucket == nil { ceiling = from }
            let burst = max(1, min(configuredBurst ?? cut, cut))
            if var b = bucket {
                b.set(rate: cut, burst: burst, now: now)
                bucket = b
            } else {
                var b = TokenBucket(rate: cut, burst: burst, now: now)
                _ = b.take(now: now)  // start empty-ish: the provider just said no
                bucket = b
            }
            lastCut = now
            lastRaise = now
        }
        if let ms = retryAfterMillis, ms > 0, var b = bucket {
            b.pause(until: now + min(ms, 60_000), now: now)
            bucket = b
        }
    }

    /// Raises a reduced rate by a quarter per quiet `step`.
    mutating func adjust(now: Int64) {
        guard isReduced, var b = bucket else { return }
        if let c = lastCut, now - c < RateGovernor.step { return }
        if let r = lastRaise, now - r < RateGovernor.step { return }
        let quiet = lastRaise.map { Double(min(20, (now - $0) / RateGovernor.step)) } ?? 1
        let raised = b.rate * pow(1.25, max(1, quiet))
        lastRaise = now
        if let target = configuredRate {
            let r = min(target, raised)
            b.set(rate: r, burst: r >= target ? (configuredBurst ?? target) : max(1, min(configuredBurst ?? r, r)), now: now)
            bucket = b
        } else if raised >= ceiling * 2 {
            bucket = nil
        } else {
            b.set(rate: raised, burst: max(1, raised), now: now)
            bucket = b
        }
    }
}
