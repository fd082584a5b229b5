/// A count-min sketch of the events of the last window, for keys that found the limiter's table
/// full of live keys. Fixed memory; estimates can only be too high: two generations of counters
/// (the current one and the previous one), the previous dropped once the current has covered a
/// whole window, so every event of the last window is always counted (and some older ones may be).
/// Rows are indexed by the process's randomly seeded `Hasher`, so collisions cannot be aimed.
struct WindowSketch {
    static let depth = 4

    /// Counters per row: twice the key budget rounded up to a power of two, 4,096 to 1,048,576.
    static func width(keyBudget: Int) -> Int {
        var w = 4096
        while w < 2 * keyBudget && w < 1 << 20 { w <<= 1 }
        return w
    }

    let windowMillis: Int64
    private let mask: Int
    private var current: [UInt32]
    private var previous: [UInt32]
    private var rotatedAt: Int64
    /// Events recorded in the two generations (0: the sketch holds nothing).
    private(set) var events = 0
    private var currentEvents = 0

    init(windowMillis: Int64, keyBudget: Int, now: Int64) {
        let width = Self.width(keyBudget: keyBudget)
        self.windowMillis = windowMillis
        self.mask = width - 1
        self.current = Array(repeating: 0, count: width * Self.depth)
        self.previous = current
        self.rotatedAt = now
    }

    /// When the previous generation is next dropped (a count may fall then).
    var nextRotation: Int64 { rotatedAt + windowMillis }

    /// Whether any event may still be in the window.
    mutating func isActive(now: Int64) -> Bool {
        rotate(now: now)
        return events > 0
    }

    /// The number of the key's events in the last window, or more; never fewer.
    mutating func estimate<Key: Hashable>(_ key: Key, now: Int64) -> Int {
        rotate(now: now)
        guard events > 0 else { return 0 }
        let (h1, h2) = Self.hashes(key)
        var least = UInt64.max
        for row in 0..<Self.depth {
            let c = cell(row, h1, h2)
            least = Swift.min(least, UInt64(current[c]) + UInt64(previous[c]))
        }
        return Int(least)
    }

    /// Conservative update within the current generation: only the rows at the key's least count
    /// grow (to that count + 1), so every row still holds at least the key's count in the
    /// generation, and keys that share a cell inflate each other less (a stream of distinct keys
    /// fills the sketch about twice as slowly as plain increments).
    mutating func add<Key: Hashable>(_ key: Key, now: Int64) {
        rotate(now: now)
        let (h1, h2) = Self.hashes(key)
        var least = UInt32.max
        for row in 0..<Self.depth { least = Swift.min(least, current[cell(row, h1, h2)]) }
        guard least < UInt32.max else { return }
        for row in 0..<Self.depth {
            let c = cell(row, h1, h2)
            if current[c] <= least { current[c] = least + 1 }
        }
        events += 1
        currentEvents += 1
    }

    /// Two hashes from one 64-bit hash; row `r` uses `h1 + r * h2` (double hashing).
    private static func hashes<Key: Hashable>(_ key: Key) -> (Int, Int) {
        var hasher = Hasher()
        hasher.combine(key)
        let h = UInt64(bitPattern: Int64(hasher.finalize()))
        return (Int(truncatingIfNeeded: h & 0xFFFF_FFFF), Int(truncatingIfNeeded: h >> 32) | 1)
    }

    private func cell(_ row: Int, _ h1: Int, _ h2: Int) -> Int {
        row * (mask + 1) + ((h1 &+ row &* h2) & mask)
    }

    /// Once the current generation has covered a window it becomes the previous one (the old
    /// previous holds only events older than a window); after two windows both are dropped.
    private mutating func rotate(now: Int64) {
        guard now >= rotatedAt + windowMillis else { return }
        if now >= rotatedAt + 2 * windowMillis {
            if events > 0 {
                Self.clear(&current)
                Self.clear(&previous)
            }
            events = 0
        } else {
            swap(&current, &previous)
            Self.clear(&current)
            events = currentEvents
        }
        currentEvents = 0
        rotatedAt = now
    }

    private static func clear(_ counters: inout [UInt32]) {
        counters.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}
