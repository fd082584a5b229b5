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
