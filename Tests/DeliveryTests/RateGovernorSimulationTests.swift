import RelayTestSupport
import XCTest

@testable import Delivery

/// The rate governor against simulated providers, on simulated milliseconds: one with a real limit
/// (a token bucket that answers 429 beyond it) and ones that refuse a share of requests whatever
/// the rate. Sends start as the governor allows (at most one a millisecond, 64 in flight) and are
/// answered 10 ms later, throttles with `Retry-After: 1`.
final class RateGovernorSimulationTests: XCTestCase {
    private struct Figures {
        /// Sends answered a second, throttled ones too, and the share of throttles, over the last 20 s.
        var sendsPerSecond: Double
        var acceptedPerSecond: Double
        var throttledShare: Double
    }

    private func simulate(
        configured: Double?, limit: Double?, randomShare: Double, seconds: Int64 = 30, seed: UInt64 = 11
    ) -> Figures {
        var governor = RateGovernor(ratePerSecond: configured, burst: configured, now: 0)
        var providerBucket = limit.map { TokenBucket(rate: $0, burst: max(1, $0 / 10), now: 0) }
        var rng = SplitMix(seed: seed)
        var inFlight: [Int64] = []  // answer times
        var sent = 0
        var accepted = 0
        var throttled = 0
        let measureFrom: Int64 = (seconds - 20) * 1_000
        for now in Int64(0)..<(seconds * 1_000) {
            while let first = inFlight.first, first <= now {
                inFlight.removeFirst()
                var refused = Double.random(in: 0..<1, using: &rng) < randomShare
                if !refused, var b = providerBucket {
                    refused = !b.take(now: now)
                    providerBucket = b
                }
                if refused { governor.throttled(now: now, retryAfterMillis: 1_000) }
                governor.answered(now: now)
                if now >= measureFrom {
                    sent += 1
                    if refused { throttled += 1 } else { accepted += 1 }
                }
            }
            if inFlight.count < 64, governor.take(now: now) { inFlight.append(now + 10) }
        }
        return Figures(
            sendsPerSecond: Double(sent) / 20, acceptedPerSecond: Double(accepted) / 20,
            throttledShare: Double(throttled) / Double(max(1, sent)))
    }

    /// A provider limited to 100/s: the governor settles near the limit with few throttles.
    func testSettlesNearARealLimit() {
        for configured in [nil, 500.0] as [Double?] {
            let f = simulate(configured: configured, limit: 100, randomShare: 0)
            XCTAssertGreaterThanOrEqual(f.acceptedPerSecond, 60, "configured \(String(describing: configured)): \(f)")
            XCTAssertLessThanOrEqual(f.throttledShare, 0.2, "configured \(String(describing: configured)): \(f)")
        }
    }

    /// A provider that refuses one request in ten whatever the rate: the cuts that do not help are
    /// undone; the sends stay near what the provider takes (a thousand a second here, or the
    /// configured 80), not at the two or three a second that halving on every throttle gave.
    func testKeepsTheRateWhenThrottlesDoNotComeFromThePace() {
        let open = simulate(configured: nil, limit: nil, randomShare: 0.1)
        XCTAssertGreaterThanOrEqual(open.sendsPerSecond, 500, "\(open)")
        let paced = simulate(configured: 80, limit: nil, randomShare: 0.1)
        XCTAssertGreaterThanOrEqual(paced.sendsPerSecond, 60, "\(paced)")
        let rare = simulate(configured: nil, limit: nil, randomShare: 0.02)
        XCTAssertGreaterThanOrEqual(rare.sendsPerSecond, 500, "\(rare)")
        // Other draws, and a low configured rate: the first cuts come on a handful of answers
        // (the chaos run that stalled at 3.6 sends a second); they must not pile up.
        for seed in UInt64(1)...8 {
            let f = simulate(configured: nil, limit: nil, randomShare: 0.1, seed: seed)
            XCTAssertGreaterThanOrEqual(f.sendsPerSecond, 500, "seed \(seed): \(f)")
            let slow = simulate(configured: 10, limit: nil, randomShare: 0.1, seed: seed)
            XCTAssertGreaterThanOrEqual(slow.sendsPerSecond, 7, "configured 10/s, seed \(seed): \(slow)")
        }
    }

    /// A real limit under random refusals: still near the limit.
    func testARealLimitUnderNoiseStillCuts() {
        let f = simulate(configured: nil, limit: 100, randomShare: 0.05)
        XCTAssertGreaterThanOrEqual(f.acceptedPerSecond, 55, "\(f)")
        XCTAssertLessThanOrEqual(f.sendsPerSecond, 160, "\(f)")
    }
}
