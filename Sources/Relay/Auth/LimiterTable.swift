/// The limiter's exact entries, at most `capacity`, in a doubly linked order of their newest
/// event (oldest at the head), over a slab of slots so nothing is allocated per event.
/// Not thread-safe: `SlidingWindowLimiter` holds it behind its mutex.
struct LimiterTable<Key: Hashable> {
    private struct Slot {
        var key: Key?
        var entry: LimiterEntry
        var previous: Int32
        var next: Int32
    }

    let capacity: Int
    private var index: [Key: Int32] = [:]
    private var slots: [Slot] = []
    private var free: [Int32] = []
    private var head: Int32 = -1
    private var tail: Int32 = -1

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { index.count }
    var isFull: Bool { index.count >= capacity }

    func slot(of key: Key) -> Int32? { index[key] }

    func entry(at i: Int32) -> LimiterEntry { slots[Int(i)].entry }

    /// Runs `body` on the entry in place; when it returns true (an event was added) the entry
    /// moves to the end of the order.
    mutating func update<R>(at i: Int32, _ body: (inout LimiterEntry) -> (R, Bool)) -> R {
        let (result, touched) = body(&slots[Int(i)].entry)
        if touched && i != tail {
            unlink(i)
            linkAtTail(i)
        }
        return result
    }

    /// Adds a key that is not in the table; the caller checked `isFull`.
    mutating func insert(_ key: Key, _ entry: LimiterEntry) {
        precondition(!isFull, "LimiterTable.insert: full")
        assert(index[key] == nil, "LimiterTable.insert: present")  // the caller looked it up (debug builds check)
        let i: Int32
        if let f = free.popLast() {
            i = f
            slots[Int(i)] = Slot(key: key, entry: entry, previous: -1, next: -1)
        } else {
            i = Int32(slots.count)
            slots.append(Slot(key: key, entry: entry, previous: -1, next: -1))
        }
        index[key] = i
        linkAtTail(i)
    }

    /// Removes the keys whose newest event is at or before `cutoff`, from the head of the order.
    /// Stops at the first live key, so it is O(keys removed).
    mutating func removeExpired(through cutoff: Int64) {
        while head >= 0, slots[Int(head)].entry.newest <= cutoff {
            let i = head
            unlink(i)
            if let key = slots[Int(i)].key { index[key] = nil }
            slots[Int(i)].key = nil
            slots[Int(i)].entry = LimiterEntry()
            free.append(i)
        }
    }

    private mutating func unlink(_ i: Int32) {
        let p = slots[Int(i)].previous, n = slots[Int(i)].next
        if p >= 0 { slots[Int(p)].next = n } else { head = n }
        if n >= 0 { slots[Int(n)].previous = p } else { tail = p }
        slots[Int(i)].previous = -1
        slots[Int(i)].next = -1
    }

    private mutating func linkAtTail(_ i: Int32) {
        slots[Int(i)].previous = tail
        slots[Int(i)].next = -1
        if tail >= 0 { slots[Int(tail)].next = i } else { head = i }
        tail = i
    }
}
