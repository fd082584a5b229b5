import RelayCore

/// The first 128 bits of a dedupe HMAC: enough to make an accidental collision negligible.
struct DedupeKey: Hashable {
    let high: UInt64
    let low: UInt64

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 16 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
        high = h
        low = l
    }
}

/// The writer's in-memory index of recent dedupe keys → first job id. It answers "is this a repeat
/// inside the window" without an on-disk index on random HMAC keys, which would cost a random
/// page write (and a checkpoint copy) per job. Rebuilt from `jobs` when the connection opens;
/// entries leave at `dedupe_until`. Changes made inside a batch are undone if the batch fails.
/// Confined to the writer thread.
final class DedupeIndex {
    /// 32 bytes: the job id packed into two words (a string would be a heap object per entry).
    private struct Entry {
        let idHigh: UInt64
        let idLow: UInt64
        let createdAt: Int64
        let until: Int64

        init(id: String, createdAt: Int64, until: Int64) {
            let p = JobIDGenerator.pack(id) ?? (0, 0)
            idHigh = p.high
            idLow = p.low
            self.createdAt = createdAt
            self.until = until
        }

        var id: String { JobIDGenerator.unpack(high: idHigh, low: idLow) }
    }

    private var map: [DedupeKey: Entry] = [:]
    /// Insertion order, for eviction; `head` is the first live slot.
    private var order: [(key: DedupeKey, until: Int64)] = []
    private var head = 0
    /// Previous values of the keys the current batch changed, newest last.
    private var undo: [(key: DedupeKey, previous: Entry?)] = []
    let maxEntries: Int

    init(maxEntries: Int) {
        self.maxEntries = max(1, maxEntries)
        // Sized once: a rehash of a large table on the writer thread would stall a batch.
        map.reserveCapacity(min(self.maxEntries, 1 << 20) + 1)
    }

    var count: Int { map.count }

    /// The first job with this key created at or after `since`, if it is still indexed.
    func lookup(_ key: DedupeKey, since: Int64) -> String? {
        guard let e = map[key], e.createdAt >= since else { return nil }
        return e.id
    }

    func insert(_ key: DedupeKey, id: String, createdAt: Int64, until: Int64) {
        undo.append((key, map[key]))
        map[key] = Entry(id: id, createdAt: createdAt, until: until)
        order.append((key, until))
    }

    /// The batch committed: its entries stay.
    func commit() { undo.removeAll(keepingCapacity: true) }

    /// The batch rolled back: restore what it changed.
    func rollback() {
        for (key, previous) in undo.reversed() { map[key] = previous }
        undo.removeAll(keepingCapacity: true)
        // `order` may keep stale slots; eviction skips keys whose entry no longer matches.
    }

    /// Drops entries whose window has passed, and the oldest beyond `maxEntries`.
    func evict(now: Int64) {
        while head < order.count, order[head].until <= now || map.count > maxEntries {
            let (key, until) = order[head]
            if let e = map[key], e.until == until { map[key] = nil }
            head += 1
        }
        if head > 4_096 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    func removeAll() {
        map.removeAll()
        order.removeAll()
        undo.removeAll()
        head = 0
    }

    /// Loads the keys of jobs still inside their window (created within `maxWindowMillis`).
    func rebuild(_ db: SQLiteDatabase, now: Int64, maxWindowMillis: Int64) throws(SQLiteError) {
        removeAll()
        try db.withStatement(JobsSQL.dedupeRebuild) { s throws(SQLiteError) in
            s.bind(now - maxWindowMillis, to: ":created_from")
            s.bind(now, to: ":now")
            while try s.step() {
                guard let bytes = s.blob(1), let key = DedupeKey(bytes), map[key] == nil else { continue }
                let entry = Entry(id: s.string(0), createdAt: s.int64(2), until: s.int64(3))
                map[key] = entry
                order.append((key, entry.until))
            }
        }
        evict(now: now)
    }
}
