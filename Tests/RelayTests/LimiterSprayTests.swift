import RelayTestSupport
import XCTest

@testable import Relay

/// The limiter cannot be reset by volume: keys with live events are never forgotten, memory stays
/// bounded, and keys that found the table full are counted in a sketch that only over-counts.
final class LimiterSprayTests: XCTestCase {
    func testSprayingNewKeysDoesNotResetAVictim() {
        let l = SlidingWindowLimiter<UInt64>(max: 3, window: .seconds(300), maxKeys: 1_000)
        for i in 0..<3 { XCTAssertTrue(l.record(42, tag: UInt64(i), now: 1_000).allowed) }
        XCTAssertFalse(l.record(42, tag: 99, now: 1_001).allowed)
        for k in 0..<100_000 { l.record(UInt64(1_000_000 + k), tag: 1, now: 2_000 + Int64(k / 1_000)) }
        let after = l.record(42, tag: 100, now: 3_000)
        XCTAssertFalse(after.allowed, "the victim's window survives a spray of 100,000 new keys")
        XCTAssertEqual(after.retryAfterSeconds, 298)
        // Once two windows have passed the sketch is empty too, and the victim starts afresh.
        XCTAssertTrue(l.record(42, tag: 101, now: 610_000).allowed)
    }

    func testMemoryStaysBoundedUnderASpray() {
        let l = SlidingWindowLimiter<String>(max: 5, window: .seconds(60), maxKeys: 1_000)
        for k in 0..<50_000 { l.record("203.0.\(k / 256).\(k % 256)", now: 1_000 + Int64(k)) }
        XCTAssertEqual(l.trackedKeys, 1_000)
        XCTAssertTrue(l.isOverflowing)
        // Two windows later the sketch is empty and the table has room again: new keys are exact.
        for k in 0..<10 { XCTAssertTrue(l.record("198.51.100.\(k)", now: 200_000).allowed) }
        XCTAssertFalse(l.isOverflowing)
        XCTAssertLessThanOrEqual(l.trackedKeys, 10)
    }

    /// A key counted in the sketch stays there while its events are live, even once the table
    /// has room again: moving it to the table would forget them.
    func testKeyInTheSketchIsNotForgottenWhenTheTableFrees() {
        let l = SlidingWindowLimiter<Int>(max: 2, window: .seconds(10), maxKeys: 4)
        for k in 0..<4 { XCTAssertTrue(l.record(k, now: 0).allowed) }
        XCTAssertTrue(l.record(100, now: 5_000).allowed)
        XCTAssertTrue(l.record(100, now: 5_001).allowed)
        XCTAssertFalse(l.record(100, now: 5_002).allowed)
        XCTAssertTrue(l.isOverflowing)
        // The table's keys expire at 10 s; key 100's events are live until 15 s.
        XCTAssertTrue(l.record(7, now: 10_001).allowed)
        XCTAssertFalse(l.record(100, now: 10_002).allowed)
        XCTAssertFalse(l.check(100, now: 10_003).allowed)
    }

    /// Many more keys than the table holds, on a random stream: a key never has more than `max`
    /// allowed events in any window (the sketch may refuse early, never let one more through).
    func testNeverAllowsMoreThanMaxInAWindow() {
        let max = 3, window: Int64 = 10_000
        let l = SlidingWindowLimiter<Int>(max: max, window: .seconds(10), maxKeys: 8)
        var allowed: [Int: [Int64]] = [:]
        var rng = SplitMix(seed: 11)
        var now: Int64 = 1_000_000
        var refusals = 0
        for step in 0..<50_000 {
            now += Int64(rng.next() % 40)
            let key = Int(rng.next() % 64)
            if l.record(key, now: now).allowed {
                var events = (allowed[key] ?? []).filter { $0 > now - window }
                events.append(now)
                allowed[key] = events
                XCTAssertLessThanOrEqual(events.count, max, "step \(step) key \(key)")
                if events.count > max { return }
            } else {
                refusals += 1
            }
        }
        XCTAssertGreaterThan(refusals, 0)
        XCTAssertLessThanOrEqual(l.trackedKeys, 8)
    }

    /// As many keys as the table holds, so keys are evicted and come back: decisions stay exactly
    /// those of the plain model (the test in AuthTests with a table that never fills).
    func testFullTableMatchesTheReferenceModel() {
        let keys = 6
        let l = SlidingWindowLimiter<Int>(max: 2, window: .seconds(5), maxKeys: keys)
        LimiterReferenceModel.assertAgrees(with: l, seed: 3, maxGap: 2_000, keys: UInt64(keys), tags: 4, untaggedOneIn: 3) { step in
            XCTAssertFalse(l.isOverflowing, "step \(step)")
        }
    }

    /// Over real HTTP: the per-identifier limit of a victim holds while new identifiers are
    /// sprayed past the table's size (before: the limiter forgot it after half the table).
    func testSprayOverHTTPDoesNotResetTheVictimsLimit() throws {
        let s = try TestService {
            $0.rateLimits.perIdentifierMax = 2
            $0.rateLimits.maxTrackedKeys = 40
        }
        let c = try s.connect()
        func post(_ ident: String, _ otp: String) throws -> Int {
            try c.send(WebhookRequest.post(body: WebhookRequest.body(identifier: ident, otp: otp, channel: "sms"), authorization: s.auth))
            return try XCTUnwrap(c.readResponse()).status
        }
        XCTAssertEqual(try post("081111111111", "100001"), 200)
        XCTAssertEqual(try post("081111111111", "100002"), 200)
        XCTAssertEqual(try post("081111111111", "100003"), 429)
        for i in 0..<200 { XCTAssertEqual(try post("0822\(String(format: "%08d", i))", "200000"), 200) }
        XCTAssertEqual(try post("081111111111", "100004"), 429, "the victim is still limited")
        XCTAssertEqual(try s.count(), 202)
    }
}

/// The sketch against exact counts: through rotations it never counts fewer events of a key in
/// the last window than there were.
final class WindowSketchTests: XCTestCase {
    func testNeverUnderCounts() {
        let window: Int64 = 1_000
        var sketch = WindowSketch(windowMillis: window, keyBudget: 100, now: 0)
        var events: [Int: [Int64]] = [:]
        var rng = SplitMix(seed: 5)
        var now: Int64 = 0
        for step in 0..<200_000 {
            now += Int64(rng.next() % 3)
            let key = Int(rng.next() % 20_000)
            let live = (events[key] ?? []).filter { $0 > now - window }
            let estimate = sketch.estimate(key, now: now)
            XCTAssertGreaterThanOrEqual(estimate, live.count, "step \(step)")
            if estimate < live.count { return }
            sketch.add(key, now: now)
            events[key] = live + [now]
        }
    }
}
