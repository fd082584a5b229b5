import Synchronization

/// Counts events per key in a sliding window, in memory, with a bound on tracked keys so an
/// attacker spraying keys cannot grow it without limit. Used for failed-auth throttling per
/// client address and for new OTPs per identifier.
public final class SlidingWindowLimiter<Key: Hashable & Sendable>: Sendable {
    public struct Decision: Sendable, Equatable {
        public let allowed: Bool
        public let retryAfterSeconds: Int
    }

    /// The events of one key within the window, oldest first, each with a tag (events with a
    /// repeated tag are not counted again). The first is stored inline: most keys (one OTP per
    /// person per window) never allocate, and dropping a generation frees no per-key arrays.
    private struct Entry {
        private(set) var count = 0
        private var first: (time: Int64, tag: UInt64) = (0, 0)
        private var rest: [(time: Int64, tag: UInt64)] = []

        var oldest: Int64? { count > 0 ? first.time : nil }

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
            var e = s.entries[key] ?? s.previous.removeValue(forKey: key) ?? Entry()
            prune(&e, now: now)
            if let tag, e.contains(tag: tag) {
                s.entries[key] = e
                return Decision(allowed: true, retryAfterSeconds: 0)
            }
            let d = decision(e, now: now)
            if d.allowed {
                e.append(time: now, tag: tag ?? 0)
            }
            s.entries[key] = e
            return d
        }
    }

    public var trackedKeys: Int { state.withLock { $0.entries.count + $0.previous.count } }

    private func decision(_ e: Entry, now: Int64) -> Decision {
        guard e.count >= max, let oldest = e.oldest else { return Decision(allowed: true, retryAfterSeconds: 0) }
        let wait = oldest + windowMillis - now
        return Decision(allowed: false, retryAfterSeconds: Swift.max(1, Int((wait + 999) / 1000)))
    }

    private func prune(_ e: inout Entry, now: Int64) {
        e.drop(through: now - windowMillis)
    }

    private func rotateIfNeeded(_ s: inout State) {
        guard s.entries.count >= Swift.max(1, maxKeys / 2) else { return }
        s.previous = s.entries
        s.entries = [:]
    }
}
