import Synchronization

/// Counts events per key in a sliding window, in bounded memory, and cannot be reset by volume.
/// Used for failed-auth throttling per client address and for new OTPs per identifier.
///
/// `now` is monotonic milliseconds (`MonotonicClock.elapsedMillis()`), never the wall clock: a
/// wall step (NTP, `date -s`) must neither reset a window (forward) nor stretch it (backward).
///
/// Keys live in a table of at most `maxKeys` entries, kept in order of their newest event: a key
/// leaves the table only once its newest event is out of the window (nothing is left to count),
/// never to make room. When the table is full of keys with live events, a NEW key is counted in a
/// count-min sketch instead (`WindowSketch`): fixed memory, and it can only over-count, so a
/// newcomer may be throttled early but no key's count is ever lowered by other keys' traffic.
/// Spraying new keys therefore cannot reset a victim's window; at worst it throttles newcomers.
///
/// Cost per call: one dictionary lookup, at most a few index writes to keep the order, and the
/// removal of expired keys from the head of the order (each key is removed once: amortised O(1)).
/// The sketch is touched only while it holds counts, for keys that are not in the table.
///
/// Memory bound: `maxKeys` entries of at most `max` events each (refused events are not stored),
/// plus, once the table has been full, the sketch: 2 × 4 × `WindowSketch.width(keyBudget: maxKeys)`
/// of 4 bytes (2 MiB for the default 20,000 keys). With the default table and a 300 s window it
/// takes about 500,000 new keys in one window past the table before newcomers are refused early.
public final class SlidingWindowLimiter<Key: Hashable & Sendable>: Sendable {
    public struct Decision: Sendable, Equatable {
        public let allowed: Bool
        public let retryAfterSeconds: Int

        static var allow: Decision { Decision(allowed: true, retryAfterSeconds: 0) }
    }

    private struct State {
        var table: LimiterTable<Key>
        var sketch: WindowSketch?
    }

    private let state: Mutex<State>
    public let max: Int
    public let windowMillis: Int64
    public let maxKeys: Int

    public init(max: Int, window: Duration, maxKeys: Int) {
        self.max = max
        self.windowMillis = Swift.max(1, window.wholeMilliseconds)
        self.maxKeys = Swift.max(1, maxKeys)
        self.state = Mutex(State(table: LimiterTable(capacity: Swift.max(1, maxKeys)), sketch: nil))
    }

    /// Whether the key is currently over its limit (does not record anything).
    public func check(_ key: Key, now: Int64) -> Decision {
        state.withLock { s in
            let cutoff = now - windowMillis
            if let i = s.table.slot(of: key) {
                var e = s.table.entry(at: i)
                e.drop(through: cutoff)
                return decision(e, now: now)
            }
            guard let estimate = s.sketch?.estimate(key, now: now), let next = s.sketch?.nextRotation else { return .allow }
            return sketchDecision(estimate, nextRotation: next, now: now)
        }
    }

    /// Records an event unless the key is over its limit; an event whose tag was already seen in the
    /// window is allowed and not counted again (a partner retry of the same OTP). Tags are kept only
    /// for keys in the table: in the sketch a repeat counts again (over-counting, never under).
    @discardableResult
    public func record(_ key: Key, tag: UInt64? = nil, now: Int64) -> Decision {
        state.withLock { s in
            let cutoff = now - windowMillis
            s.table.removeExpired(through: cutoff)
            if let i = s.table.slot(of: key) {
                return s.table.update(at: i) { e in
                    e.drop(through: cutoff)
                    if let tag, e.contains(tag: tag) { return (Decision.allow, false) }
                    let d = decision(e, now: now)
                    if d.allowed { e.append(time: now, tag: tag ?? 0) }
                    return (d, d.allowed)
                }
            }
            // A key the sketch may hold events for stays in the sketch while they can be live:
            // moving it to the table would forget them. (The sketch is changed in place: a copy
            // would duplicate its counters.)
            if s.sketch?.isActive(now: now) ?? false {
                if s.sketch!.estimate(key, now: now) > 0 || s.table.isFull {
                    return recordInSketch(key, &s.sketch!, now: now)
                }
            } else if s.table.isFull {
                if s.sketch == nil { s.sketch = WindowSketch(windowMillis: windowMillis, keyBudget: maxKeys, now: now) }
                return recordInSketch(key, &s.sketch!, now: now)
            }
            guard max > 0 else { return decision(LimiterEntry(), now: now) }
            var e = LimiterEntry()
            e.append(time: now, tag: tag ?? 0)
            s.table.insert(key, e)
            return .allow
        }
    }

    /// Keys with an exact entry (at most `maxKeys`).
    public var trackedKeys: Int { state.withLock { $0.table.count } }

    /// Whether new keys are being counted in the sketch (the table was full of live keys).
    public var isOverflowing: Bool { state.withLock { s in s.sketch.map { $0.events > 0 } ?? false } }

    private func decision(_ e: LimiterEntry, now: Int64) -> Decision {
        guard e.count >= max else { return .allow }
        let wait = (e.oldest ?? now) + windowMillis - now
        return Decision(allowed: false, retryAfterSeconds: Swift.max(1, Int((wait + 999) / 1000)))
    }

    private func recordInSketch(_ key: Key, _ sketch: inout WindowSketch, now: Int64) -> Decision {
        let d = sketchDecision(sketch.estimate(key, now: now), nextRotation: sketch.nextRotation, now: now)
        if d.allowed { sketch.add(key, now: now) }
        return d
    }

    /// Over the limit by the sketch's (over-)estimate; the count can fall at the next rotation.
    private func sketchDecision(_ estimate: Int, nextRotation: Int64, now: Int64) -> Decision {
        guard estimate >= max else { return .allow }
        let wait = nextRotation - now
        return Decision(allowed: false, retryAfterSeconds: Swift.max(1, Int((wait + 999) / 1000)))
    }
}

/// The events of one key within the window, oldest first, each with a tag (events with a
/// repeated tag are not counted again). The first is stored inline: most keys (one OTP per
/// person per window) never allocate.
struct LimiterEntry {
    private(set) var count = 0
    private var first: (time: Int64, tag: UInt64) = (0, 0)
    private var rest: [(time: Int64, tag: UInt64)] = []

    var oldest: Int64? { count > 0 ? first.time : nil }
    /// The newest event's time (`Int64.min` when empty): the key has nothing to count once it is
    /// out of the window.
    var newest: Int64 { count == 0 ? Int64.min : (rest.last?.time ?? first.time) }

    func contains(tag: UInt64) -> Bool {
        count > 0 && (first.tag == tag || rest.contains { $0.tag == tag })
    }

    mutating func append(time: Int64, tag: UInt64) {
        if count == 0 { first = (time, tag) } else { rest.append((time, tag)) }
        count += 1
    }

    /// Drops the events at or before `cutoff`.
    mutating func drop(through cutoff: Int64) {
        while count > 0, first.time <= cutoff {
            if rest.isEmpty { count = 0 } else { first = rest.removeFirst(); count -= 1 }
        }
    }
}
