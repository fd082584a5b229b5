import XCTest

@testable import Delivery

/// The token bucket, the rate governor and a provider's gate on an injected clock (milliseconds).
final class TokenBucketTests: XCTestCase {
    func testBurstThenRate() {
        var b = TokenBucket(rate: 50, burst: 5, now: 0)
        for _ in 0..<5 { XCTAssertTrue(b.take(now: 0)) }
        XCTAssertFalse(b.take(now: 0), "the burst is spent")
        XCTAssertEqual(b.wait(now: 0), 20, "one token every 20 ms at 50/s")
        XCTAssertFalse(b.take(now: 19))
        XCTAssertTrue(b.take(now: 20))
        // A quiet second saves up the burst, not more.
        var n = 0
        while b.take(now: 2_000) { n += 1 }
        XCTAssertEqual(n, 5)
    }

    func testAtMostRateTimesSecondsPlusBurst() {
        var b = TokenBucket(rate: 50, burst: 5, now: 0)
        var taken = 0
        for t in stride(from: Int64(0), through: 3_000, by: 1) where b.take(now: t) { taken += 1 }
        XCTAssertEqual(taken, 5 + 150, "burst plus 3 s at 50/s")
    }

    func testPauseUntilRetryAfter() {
        var b = TokenBucket(rate: 10, burst: 10, now: 0)
        b.pause(until: 2_000, now: 0)
        XCTAssertFalse(b.take(now: 1_999))
        XCTAssertTrue(b.take(now: 2_000), "one token at the end of the pause")
        XCTAssertFalse(b.take(now: 2_000))
    }

    func testThrottleHalvesAConfiguredRateAndItRecovers() {
        var g = RateGovernor(ratePerSecond: 80, burst: 80, now: 0)
        XCTAssertEqual(g.rate, 80)
        XCTAssertFalse(g.isReduced)
        g.throttled(now: 100, retryAfterMillis: nil)
        g.throttled(now: 110, retryAfterMillis: nil)
        XCTAssertEqual(g.rate, 80, "two throttles on no other answer: too little to judge by")
        g.throttled(now: 120, retryAfterMillis: nil)
        XCTAssertEqual(g.rate, 40, "three, and nothing else answered: clearly over a limit")
        g.throttled(now: 200, retryAfterMillis: nil)
        XCTAssertEqual(g.rate, 40, "answers to the same burst cut once")
        g.throttled(now: 1_200, retryAfterMillis: nil)
        XCTAssertEqual(g.rate, 20, "no answer but throttles since: clearly over a limit, cut again")
        // 24 answers at the lower rate, half of them throttles: clearly over a limit, cut again.
        for t in 0..<24 {
            let now = 1_300 + Int64(t) * 25
            if t % 2 == 0 { g.throttled(now: now, retryAfterMillis: nil) }
            g.answered(now: now)
        }
        XCTAssertEqual(g.rate, 20)
        XCTAssertEqual(g.throttles, 17)
        g.adjust(now: 3_000)
        XCTAssertEqual(g.rate, 25, "a quarter more after a quiet second")
        g.adjust(now: 3_100)
        XCTAssertEqual(g.rate, 25, "at most once a second")
        g.adjust(now: 10_000)
        XCTAssertEqual(g.rate, 80, "back to the configured rate, never above")
        XCTAssertFalse(g.isReduced)
    }

    /// A throttle with `Retry-After` among answers that mostly pass cuts the rate but does not
    /// pause the provider; throttles that are half of its answers or more do.
    func testRetryAfterPausesTheProviderOnlyWhileThrottlesDominate() {
        var g = RateGovernor(ratePerSecond: 80, burst: 80, now: 0)
        for t in 0..<20 {
            XCTAssertTrue(g.take(now: Int64(t)))
            g.answered(now: Int64(t) + 5)
        }
        XCTAssertTrue(g.take(now: 30))
        g.throttled(now: 40, retryAfterMillis: 2_000)
        g.answered(now: 40)
        XCTAssertEqual(g.rate, 80, "held: one throttle in 21 answers within 40 ms is too little to judge by")
        XCTAssertTrue(g.take(now: 50), "one throttle in 21 answers: the others go on")

        var d = RateGovernor(ratePerSecond: 80, burst: 80, now: 0)
        for t in 0..<4 { XCTAssertTrue(d.take(now: Int64(t))) }
        d.answered(now: 5)
        d.throttled(now: 6, retryAfterMillis: 2_000)
        d.answered(now: 6)
        d.throttled(now: 7, retryAfterMillis: 2_000)
        d.answered(now: 7)
        XCTAssertFalse(d.take(now: 100), "two throttles in three answers: paused")
        XCTAssertFalse(d.take(now: 2_005))
        XCTAssertTrue(d.take(now: 2_007), "until the last Retry-After")

        var first = RateGovernor(ratePerSecond: nil, burst: nil, now: 0)
        XCTAssertTrue(first.take(now: 0))
        first.throttled(now: 10, retryAfterMillis: 3_000)
        first.answered(now: 10)
        XCTAssertFalse(first.take(now: 2_000), "the only answer was a throttle: paused (a token a second otherwise)")
        XCTAssertTrue(first.take(now: 3_010))
    }

    func testThrottleWithoutAConfiguredRateLimitsFromTheObservedRateThenLifts() {
        var g = RateGovernor(ratePerSecond: nil, burst: nil, now: 0)
        XCTAssertNil(g.rate)
        for t in 0..<400 {
            XCTAssertTrue(g.take(now: Int64(t)))
            g.answered(now: Int64(t) + 5)
        }
        g.throttled(now: 1_000, retryAfterMillis: nil)
        XCTAssertEqual(g.rate, 200, "half of the 400 started in the last second")
        XCTAssertTrue(g.isReduced)
        // Answers at the lower rate, none throttled: the cut is judged helpful, raising resumes.
        for t in 0..<30 { g.answered(now: 1_100 + Int64(t) * 50) }
        g.adjust(now: 30_000)
        XCTAssertNil(g.rate, "lifted once it passed twice the rate that was cut")
    }

    func testGateStartsWithinConcurrencyAndTokensInExpiryOrder() {
        var gate = ProviderGate<String>(concurrency: 2, ratePerSecond: 10, burst: 3, now: 0)
        gate.enqueue("late", expiresAt: 900)
        gate.enqueue("soon", expiresAt: 100)
        gate.enqueue("mid", expiresAt: 500)
        gate.enqueue("mid2", expiresAt: 500)
        var (start, retry) = gate.admit(now: 0)
        XCTAssertEqual(start, ["soon", "mid"], "the soonest to expire first, two slots")
        XCTAssertNil(retry, "waiting for a slot, not a token")
        gate.done()
        (start, retry) = gate.admit(now: 0)
        XCTAssertEqual(start, ["mid2"], "ties in arrival order")
        gate.done()
        (start, retry) = gate.admit(now: 0)
        XCTAssertEqual(start, [])
        XCTAssertEqual(retry, 100, "the burst of 3 is spent: 100 ms to the next token at 10/s")
        XCTAssertTrue(gate.waitingForToken)
        (start, retry) = gate.admit(now: 100)
        XCTAssertEqual(start, ["late"])
        XCTAssertEqual(gate.active, 2)
        XCTAssertEqual(gate.removeWaiting(), [])
    }
}
