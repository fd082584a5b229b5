/// Jobs waiting for one provider, the soonest to expire first (ties by arrival). A binary heap.
struct ExpiryQueue<Item: Sendable>: Sendable {
    private struct Entry: Sendable {
        let expiresAt: Int64
        let seq: UInt64
        let item: Item
        func before(_ o: Entry) -> Bool { (expiresAt, seq) < (o.expiresAt, o.seq) }
    }

    private var heap: [Entry] = []
    private var seq: UInt64 = 0

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }

    mutating func push(_ item: Item, expiresAt: Int64) {
        seq &+= 1
        heap.append(Entry(expiresAt: expiresAt, seq: seq, item: item))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].before(heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Item? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var m = i
            if l < heap.count && heap[l].before(heap[m]) { m = l }
            if r < heap.count && heap[r].before(heap[m]) { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        return top.item
    }

    mutating func removeAll() -> [Item] {
        defer { heap = [] }
        return heap.map(\.item)
    }
}

/// One provider's admission: at most `concurrency` sends in flight, each started with a token of
/// its `RateGovernor`; jobs beyond wait in expiry order (never dropped: a job that expires while
/// waiting is started and found expired, which records it). Pure: the caller holds the lock and
/// passes the monotonic time.
struct ProviderGate<Item: Sendable>: Sendable {
    let concurrency: Int
    private(set) var active = 0
    private(set) var governor: RateGovernor
    private(set) var waiting = ExpiryQueue<Item>()
    /// The last `admit` stopped for want of a token (not of a slot).
    private(set) var waitingForToken = false

    init(concurrency: Int, ratePerSecond: Double?, burst: Double?, now: Int64) {
        self.concurrency = max(1, concurrency)
        governor = RateGovernor(ratePerSecond: ratePerSecond, burst: burst, now: now)
    }

    mutating func enqueue(_ item: Item, expiresAt: Int64) { waiting.push(item, expiresAt: expiresAt) }

    /// Jobs that may start now (each holds a slot until `done`), and the milliseconds until a
    /// token lets the next one start when one waits for it (nil: none waits for a token).
    mutating func admit(now: Int64) -> (start: [Item], retryIn: Int64?) {
        var out: [Item] = []
        waitingForToken = false
        while active < concurrency && !waiting.isEmpty {
            guard governor.take(now: now) else {
                waitingForToken = true
                return (out, max(1, governor.wait(now: now)))
            }
            out.append(waiting.pop()!)
            active += 1
        }
        return (out, nil)
    }

    /// A started send ended: answered by the provider at `answeredAt` (monotonic), cut off by a
    /// stop (nil), or it did not happen (`unused` gives its token back).
    mutating func done(unused: Bool = false, answeredAt: Int64? = nil) {
        active = max(0, active - 1)
        if unused { governor.giveBack() }
        if let t = answeredAt { governor.answered(now: t) }
    }

    mutating func throttled(now: Int64, retryAfterMillis: Int64?) {
        governor.throttled(now: now, retryAfterMillis: retryAfterMillis)
    }

    /// Shutdown: everything still waiting.
    mutating func removeWaiting() -> [Item] { waiting.removeAll() }
}
