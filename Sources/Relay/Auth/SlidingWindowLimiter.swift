import Synchronization

/// Counts events per key in a sliding window, in memory, with a bound on tracked keys so an
/// attacker spraying keys cannot grow it without limit. Used for failed-auth throttling per
/// client address and for new OTPs per identifier.
public final class SlidingWindowLimiter<Key: Hashable & Sendable>: Sendable {
    public struct Decision: Sendable, Equatable {
        public let allowed: Bool
        public let retryAfterSeconds: Int
    }

    private struct Entry {
        var times: [Int64]     // event times within the window, oldest first
        var tags: [UInt64]     // one tag per event (events with a repeated tag are not counted again)
    }
    /// Two generations: when the current one holds half the key budget it becomes the previous
    /// one and the old previous is dropped. Bounded memory with no sort or scan on the hot path.
    private struct State {
        var entries: [Key: Entry] = [:]
        var previous: [Key: Entry] = [:]
    }

    private let state = Mutex(State())
    public let max: Int
    public let windowMillis: Int64
    private let maxKeys: Int

    public init(max: Int, windowSeconds: Int, maxKeys: Int) {
        self.max = max
        self.windowMillis = Int64(windowSeconds) * 1000
        self.maxKeys = maxKeys
    }

    /// Whether the key is currently over its limit (does not record anything).
    public func check(_ key: Key, now: Int64) -> Decision {
        state.withLock { s in
            guard var e = s.entries[key] ?? s.previous[key] else { return Decision(allowed: true, retryAfterSeconds: 0) }
            prune(&e, now: now)
            return decision(e, now: now)
        }
    }

    /// Records an event unless the key is over its limit; an event whose tag was already seen in the
    /// window is allowed and not counted again (a partner retry of the same OTP).
    @discardableResult
    public func record(_ key: Key, tag: UInt64? = nil, now: Int64) -> Decision {
        state.withLock { s in
            rotateIfNeeded(&s)
            var e = s.entries[key] ?? s.previous.removeValue(forKey: key) ?? Entry(times: [], tags: [])
            prune(&e, now: now)
            if let tag, e.tags.contains(tag) {
                s.entries[key] = e
                return Decision(allowed: true, retryAfterSeconds: 0)
            }
            let d = decision(e, now: now)
            if d.allowed {
                e.times.append(now)
                e.tags.append(tag ?? 0)
            }
            s.entries[key] = e
            return d
        }
    }

    public var trackedKeys: Int { state.withLock { $0.entries.count + $0.previous.count } }

    private func decision(_ e: Entry, now: Int64) -> Decision {
        guard e.times.count >= max, let oldest = e.times.first else { return Decision(allowed: true, retryAfterSeconds: 0) }
        let wait = oldest + windowMillis - now
        return Decision(allowed: false, retryAfterSeconds: Swift.max(1, Int((wait + 999) / 1000)))
    }

    private func prune(_ e: inout Entry, now: Int64) {
        let cutoff = now - windowMillis
        var drop = 0
        while drop < e.times.count, e.times[drop] <= cutoff { drop += 1 }
        if drop > 0 { e.times.removeFirst(drop); e.tags.removeFirst(drop) }
    }

    private func rotateIfNeeded(_ s: inout State) {
        guard s.entries.count >= Swift.max(1, maxKeys / 2) else { return }
        s.previous = s.entries
        s.entries = [:]
    }
}
