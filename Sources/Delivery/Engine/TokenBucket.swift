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
