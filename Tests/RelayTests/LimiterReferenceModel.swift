import RelayTestSupport
import XCTest

@testable import Relay

/// The plain model SlidingWindowLimiter is checked against: every event kept in arrays, pruned by
/// time (milliseconds). A tagged event already counted passes again without counting twice.
struct LimiterReferenceModel {
    let max: Int
    let windowMilliseconds: Int64
    private var events: [Int: [(time: Int64, tag: UInt64)]] = [:]

    init(max: Int, windowMilliseconds: Int64) {
        self.max = max
        self.windowMilliseconds = windowMilliseconds
    }

    /// The decision the limiter must give for this event: allowed, and Retry-After in seconds
    /// (0 when allowed).
    mutating func record(_ key: Int, tag: UInt64?, now: Int64) -> (allowed: Bool, retryAfterSeconds: Int) {
        let window = windowMilliseconds
        var kept = (events[key] ?? []).filter { $0.time > now - window }
        defer { events[key] = kept }
        if let tag, kept.contains(where: { $0.tag == tag }) { return (true, 0) }
        if kept.count >= max {
            return (false, Swift.max(1, Int((kept[0].time + window - now + 999) / 1000)))
        }
        kept.append((now, tag ?? 0))
        return (true, 0)
    }
}

extension LimiterReferenceModel {
    /// `limiter` and a model of its `max` and window see the same deterministic stream (SplitMix
    /// `seed`, 20,000 events): each at most `maxGap` ms after the last, on one of `keys` keys, with
    /// one of `tags` tags except one event in `untaggedOneIn`. Every decision and Retry-After must
    /// agree; `afterEach` checks more after each step. Stops at the first disagreement.
    static func assertAgrees(
        with limiter: SlidingWindowLimiter<Int>, seed: UInt64, maxGap: UInt64, keys: UInt64, tags: UInt64,
        untaggedOneIn: UInt64, afterEach: (Int) -> Void = { _ in }, file: StaticString = #filePath, line: UInt = #line
    ) {
        var model = LimiterReferenceModel(max: limiter.max, windowMilliseconds: limiter.windowMillis)
        var rng = SplitMix(seed: seed)
        var now: Int64 = 1_000_000
        for step in 0..<20_000 {
            now += Int64(rng.next() % maxGap)
            let key = Int(rng.next() % keys)
            let tag: UInt64? = rng.next() % untaggedOneIn == 0 ? nil : rng.next() % tags
            let expected = model.record(key, tag: tag, now: now)
            let got = limiter.record(key, tag: tag, now: now)
            XCTAssertEqual(got.allowed, expected.0, "step \(step)", file: file, line: line)
            XCTAssertEqual(got.retryAfterSeconds, expected.1, "step \(step)", file: file, line: line)
            if got.allowed != expected.0 { return }
            afterEach(step)
        }
    }
}
