import Outbox
import RelayCore

/// Replay of dead jobs for operators, shared by the CLI and the admin API: by id or by filter,
/// with a dry run, refusing expired OTPs, recording who and why (the store's `replays` table).
public struct Replayer: Sendable {
    public struct Summary: Sendable {
        public var matched = 0
        public var replayed: [String] = []
        public var expired: [String] = []
        public var notDead: [String] = []
        public var notFound: [String] = []
        public var dryRun = false

        public var json: String {
            func list(_ a: [String]) -> String { "[" + a.map(JSONText.quote).joined(separator: ",") + "]" }
            return "{\"dry_run\":\(dryRun),\"matched\":\(matched),\"replayed\":\(replayed.count),\"replayed_ids\":\(list(replayed)),"
                + "\"refused_expired\":\(list(expired)),\"not_dead\":\(list(notDead)),\"not_found\":\(list(notFound))}"
        }
    }

    public static let pageSize = 500
    let store: any JobOperationsStore
    let clock: any WallClock

    public init(store: any JobOperationsStore, clock: any WallClock = SystemClock()) {
        self.store = store
        self.clock = clock
    }

    /// Replays the given ids.
    public func replay(
        ids: [String], actor: String, reason: String, dryRun: Bool,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(OutboxError) -> Summary {
        var s = Summary(dryRun: dryRun)
        s.matched = ids.count
        let now = clock.nowMillis()
        if dryRun {
            for id in ids {
                guard let j = try store.job(id: id) else { s.notFound.append(id); continue }
                if j.status != .dead {
                    s.notDead.append(id)
                } else if j.expiresAt <= now || !j.hasPayload {
                    s.expired.append(id)
                } else {
                    s.replayed.append(id)
                }
            }
            return s
        }
        var done = 0
        for chunk in stride(from: 0, to: ids.count, by: Self.pageSize).map({ Array(ids[$0..<min($0 + Self.pageSize, ids.count)]) }) {
            for (id, result) in try store.replay(ids: chunk, actor: actor, reason: reason, now: now) {
                switch result {
                case .replayed: s.replayed.append(id)
                case .expired: s.expired.append(id)
                case .notDead: s.notDead.append(id)
                case .notFound: s.notFound.append(id)
                }
            }
            done += chunk.count
            progress(done, ids.count)
        }
        return s
    }

    /// Replays every dead job matching the filter (status is forced to `dead`).
    public func replay(
        matching filter: JobFilter, actor: String, reason: String, dryRun: Bool,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(OutboxError) -> Summary {
        var f = filter
        f.status = .dead
        f.limit = Self.pageSize
        var ids: [String] = []
        while true {
            let page = try store.jobs(matching: f)
            ids += page.map(\.id)
            guard page.count == Self.pageSize, let last = page.last else { break }
            f.beforeID = last.id
        }
        return try replay(ids: ids, actor: actor, reason: reason, dryRun: dryRun, progress: progress)
    }
}
