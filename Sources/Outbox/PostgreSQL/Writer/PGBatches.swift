import RelayCore

/// A batch's enqueues as one `PGJobsSQL.enqueue` statement. Within the batch a repeated key is
/// answered by its first item (only that one goes to the database); across batches and nodes the
/// database answers (`dedupe_keys`).
struct PGEnqueueBatch {
    let items: [EnqueueItem]
    /// The items sent to the database: those claiming no key, and the first of each key.
    private(set) var candidates: [Int] = []
    /// For an item repeating a key earlier in the batch, that earlier item.
    private var firstOfKey: [Int?]
    private let windows: [Int64]

    init(_ items: [EnqueueItem], maxDedupeWindowMillis: Int64) {
        self.items = items
        windows = items.map { min($0.job.dedupeWindow.wholeMilliseconds, maxDedupeWindowMillis) }
        firstOfKey = [Int?](repeating: nil, count: items.count)
        var seen: [[UInt8]: Int] = [:]
        for (i, item) in items.enumerated() {
            if windows[i] > 0, let key = item.job.dedupeKey {
                if let first = seen[key] {
                    firstOfKey[i] = first
                    continue
                }
                seen[key] = i
            }
            candidates.append(i)
        }
    }

    /// The statement; `writerNow` is the writer's clock in the database-clock mode (nil: times stay).
    func statement(writerNow: Int64?) -> PGStatement? {
        guard !candidates.isEmpty else { return nil }
        let rows = candidates.map { (items[$0], windows[$0]) }
        func col(_ f: (EnqueueItem, Int64) -> String?) -> String? { PG.array(rows.map(f)) }
        return PGStatement(
            PGJobsSQL.enqueue,
            [
                col { i, _ in i.id }, col { i, _ in i.job.kind.rawValue }, col { i, _ in i.job.channel },
                col { i, _ in String(i.job.createdAt) }, col { i, _ in String(i.job.runAt) },
                col { i, _ in String(i.job.expiresAt) }, col { i, _ in i.job.recipientMasked },
                col { i, _ in PG.bytea(i.job.recipientHash) }, col { i, _ in PG.bytea(i.job.dedupeKey) },
                col { i, w in w > 0 && i.job.dedupeKey != nil ? String(i.job.createdAt + w) : nil },
                col { i, _ in PG.bytea(i.payload) }, col { i, _ in i.job.language }, col { i, _ in i.job.app },
                PG.int(writerNow),
            ])
    }

    /// Every item's answer from the statement's rows (the repeats); whether a job was inserted.
    func results(_ r: PGResult?) -> (results: [EnqueueResult], inserted: Bool) {
        var repeats: [Int: EnqueueResult] = [:]
        if let r {
            for row in 0..<r.count {
                let status = JobStatus(rawValue: r.string(row, 2)) ?? .queued
                repeats[candidates[r.int(row, 0) - 1]] = EnqueueResult(id: r.string(row, 1), status: status, duplicate: true)
            }
        }
        var out: [EnqueueResult] = []
        out.reserveCapacity(items.count)
        for i in items.indices {
            if let first = firstOfKey[i] {
                out.append(repeats[first] ?? EnqueueResult(id: items[first].id, status: .queued, duplicate: true))
            } else {
                out.append(repeats[i] ?? EnqueueResult(id: items[i].id, status: .queued, duplicate: false))
            }
        }
        return (out, repeats.count < candidates.count)
    }
}

/// A batch's finishes as `PGDeliverySQL.finish` statements: one per round of distinct job ids (a
/// second finish of the same job in one batch, a late one beside its successor's, goes in the next
/// round, so it sees what the first did).
struct PGFinishBatch {
    let rounds: [[FinishItem]]

    init(_ items: [FinishItem]) {
        var rounds: [[FinishItem]] = []
        var roundOf: [String: Int] = [:]
        for item in items {
            let r = roundOf[item.id].map { $0 + 1 } ?? 0
            roundOf[item.id] = r
            if r == rounds.count { rounds.append([]) }
            rounds[r].append(item)
        }
        self.rounds = rounds
    }

    func statements(databaseClock: Bool) -> [PGStatement] {
        rounds.map { items in
            let rows = items.map(\.row)
            var params = (0..<20).map { c in PG.array(rows.map { $0[c] }) as String? }
            params.append(PG.bool(databaseClock))
            return PGStatement(PGDeliverySQL.finish, params)
        }
    }

    /// Each round's answers from its statement's rows (the ids whose lease was lost).
    static func results(_ round: [FinishItem], _ r: PGResult) -> [FinishResult] {
        let lost = Set((0..<r.count).map { r.string($0, 0) })
        return round.map { lost.contains($0.id) ? .leaseLost : .applied }
    }
}
