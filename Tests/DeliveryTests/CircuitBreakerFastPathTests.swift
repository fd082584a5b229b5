import XCTest

@testable import Delivery

/// The lock-free path of a healthy breaker must not change what the breaker decides.
final class CircuitBreakerFastPathTests: XCTestCase {
    func testHealthyBreakerStillTripsAndRecovers() {
        let b = CircuitBreaker(
            name: "gw",
            policy: CircuitBreakerPolicy(
                consecutiveFailures: 3, failureRate: 0.5,
                window: 4, coolDown: .milliseconds(1_000)))
        for _ in 0..<10 {  // fills the window with successes: the fast path from here on
            XCTAssertEqual(b.acquire(now: 0), .allowed)
            XCTAssertEqual(b.record(failed: false, now: 0), .closed)
        }
        XCTAssertEqual(b.record(failed: true, now: 1), .closed)
        XCTAssertEqual(b.record(failed: false, now: 1), .closed)  // a failure is still in the window
        XCTAssertEqual(b.record(failed: true, now: 2), .open(until: 1_002), "2 of the last 4 failed")
        XCTAssertEqual(b.state, .open(until: 1_002))
        XCTAssertEqual(b.acquire(now: 3), .rejected(retryAt: 1_002))
        XCTAssertEqual(b.acquire(now: 1_002), .probe)
        XCTAssertEqual(b.record(failed: false, now: 1_003), .closed)
        // Closed again with an empty window: the consecutive rule applies before it fills.
        XCTAssertEqual(b.record(failed: true, now: 1_004), .closed)
        XCTAssertEqual(b.record(failed: true, now: 1_005), .closed)
        XCTAssertEqual(b.record(failed: true, now: 1_006), .open(until: 2_006))
    }

    func testConcurrentSuccessesKeepTheBreakerClosed() {
        let b = CircuitBreaker(name: "gw", policy: CircuitBreakerPolicy(consecutiveFailures: 5, window: 20))
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for i in 0..<10_000 {
                _ = b.acquire(now: Int64(i))
                b.record(failed: false, now: Int64(i))
            }
        }
        XCTAssertEqual(b.state, .closed)
        for i in 0..<5 { b.record(failed: true, now: Int64(i)) }
        XCTAssertEqual(b.state, .open(until: 4 + CircuitBreakerPolicy.defaultCoolDown.wholeMilliseconds))
    }
}
