import CSQLite
import Foundation
import RelayCore
import Synchronization

/// What the checkpointer last saw of the WAL, for statistics without a query.
final class WALState: Sendable {
    /// Frames the last checkpoint could not copy (a reader on an older snapshot holds them).
    let uncopiedFrames = Atomic<Int>(0)
    /// TRUNCATE checkpoints that emptied the WAL file.
    let truncations = Atomic<Int>(0)
    /// The writer's own checkpoints between batches: after the background had copied all but a
    /// few frames, and at the bound (the background behind).
    let writerCheckpointsAfterBackfill = Atomic<Int>(0)
    let writerCheckpointsAtBound = Atomic<Int>(0)
    /// The WAL's generation as the writer counts it: one more each time the WAL started over.
    let generation = Atomic<Int>(0)
    /// The frames the last checkpoint had copied, and the generation read before it ran, packed
    /// in one word (generation << 32 | frames) so the writer never pairs one with the other's
    /// older value. A checkpoint that ran across a restart carries the older generation and is
    /// ignored.
    private let backfill = Atomic<Int>(-1)

    func recordBackfill(frames: Int, generation: Int) {
        backfill.store((generation & 0x7FFF_FFFF) << 32 | (frames & 0xFFFF_FFFF), ordering: .releasing)
    }

    /// Frames the last checkpoint copied of the WAL's `generation`, nil when none ran since it began.
    func backfilledFrames(generation: Int) -> Int? {
        let packed = backfill.load(ordering: .acquiring)
        guard packed >= 0, packed >> 32 == generation & 0x7FFF_FFFF else { return nil }
        return packed & 0xFFFF_FFFF
    }
}

/// Copies WAL frames back into the database file on its own thread and connection, so the writer
/// never holds a batch while the database file is written and synced. Requests coalesce (one
/// pending at most). The policy escalates:
/// - PASSIVE on every request (every `checkpointPages` frames): never blocks anyone.
/// - TRUNCATE (the whole WAL copied, the file cut to zero bytes) when the WAL file is larger than
///   `truncateBytes`, and `erasureDelay` after a commit that erased payloads (sent, expired or
///   purged jobs): the sealed bytes then survive neither in the database file (`secure_delete`
///   zeroes them there) nor in old WAL frames. It runs only after a PASSIVE copied every frame,
///   that is, when no reader holds an older snapshot, and waits at most `truncateWaitMillis` for
///   locks (it holds the writer lock while it waits); blocked, it tries again each
///   `retryInterval`.
///
/// No checkpoint can copy frames past the snapshot of a reader that is still open (an operator's
/// `sqlite3` in a transaction): the WAL then grows with every commit until the reader ends;
/// `SQLiteOutbox.writerStatistics` reports its size and readiness degrades past a bound.
///
/// `@unchecked Sendable`: `requested` and `erased` are guarded by `thread`'s lock (touched only in
/// its closures); the connection is opened, used and closed on the checkpointer thread only (its
/// `ThreadOwnership` checks that).
final class Checkpointer: @unchecked Sendable {
    struct Policy {
        var truncateBytes: Int64 = OutboxOptions().walTruncateBytes
        var erasureDelay: Duration = .seconds(1)
        var retryInterval: Duration = .seconds(1)
        var truncateWaitMillis: Int32 = 50
    }

    private let thread = ConditionThread(name: "outbox-checkpoint", drainsOnStop: false)
    private var requested = false
    private var erased = false
    private let path: String
    private let configuration: SQLiteDatabase.Configuration
    private let policy: Policy
    private let logger: Logger
    let state = WALState()

    init(path: String, configuration: SQLiteDatabase.Configuration, policy: Policy = Policy(), logger: Logger) {
        self.path = path
        var c = configuration
        c.maxPageCount = nil
        self.configuration = c
        self.policy = policy
        self.logger = logger
    }

    func start() {
        thread.start { [self] in loop() }
    }

    /// Asks for a checkpoint soon; cheap, never blocks. Requests coalesce.
    func request() {
        _ = thread.offer {
            guard !requested else { return false }
            requested = true
            return true
        }
    }

    /// A commit erased payloads: a TRUNCATE checkpoint follows within `erasureDelay` (erasures
    /// in the meantime share it).
    func requestErasure() {
        _ = thread.offer {
            guard !erased else { return false }
            erased = true
            return true
        }
    }

    /// Stops the thread and waits for it; idempotent.
    func stop() { thread.stop() }

    /// Bytes of the `-wal` file now (0 when there is none).
    static func walBytes(_ path: String) -> Int64 {
        var st = stat()
        return stat(path + "-wal", &st) == 0 ? Int64(st.st_size) : 0
    }

    private func loop() {
        var db: SQLiteDatabase?
        var eraseDue: Date?
        var retryAt: Date?
        var heldBack = false
        while let (asked, erasure) = thread.nextWork(
            hasWork: { requested || erased }, wakeAt: [eraseDue, retryAt].compactMap { $0 }.min(),
            take: { () -> (Bool, Bool) in
                defer { (requested, erased) = (false, false) }
                return (requested, erased)
            })
        {
            let now = Date()
            if erasure && eraseDue == nil { eraseDue = now.addingTimeInterval(policy.erasureDelay.seconds) }
            let eraseNow = eraseDue.map { $0 <= now } ?? false
            guard asked || eraseNow || (retryAt.map { $0 <= now } ?? false) else { continue }
            do throws(SQLiteError) {
                let conn: SQLiteDatabase
                if let db { conn = db } else { conn = try SQLiteDatabase(path: path, configuration: configuration); db = conn }
                let generation = state.generation.load(ordering: .acquiring)
                let passive = try conn.checkpoint(.passive)
                if !passive.busy {
                    state.uncopiedFrames.store(max(0, passive.walFrames - passive.copiedFrames), ordering: .relaxed)
                    state.recordBackfill(frames: passive.copiedFrames, generation: generation)
                }
                let large = Checkpointer.walBytes(path) > policy.truncateBytes
                guard eraseNow || large else {
                    retryAt = nil
                    continue
                }
                var truncated = false
                if passive.complete {
                    conn.setBusyTimeout(millis: policy.truncateWaitMillis)
                    defer { conn.setBusyTimeout(millis: configuration.busyTimeoutMillis) }
                    truncated = try conn.checkpoint(.truncate).complete
                }
                if truncated {
                    state.truncations.add(1, ordering: .relaxed)
                    state.uncopiedFrames.store(0, ordering: .relaxed)
                    (eraseDue, retryAt) = (nil, nil)
                    if heldBack { logger.info("outbox WAL checkpointed again", [:]) }
                    heldBack = false
                } else {
                    retryAt = now.addingTimeInterval(policy.retryInterval.seconds)
                    if large && !passive.complete && !heldBack {
                        heldBack = true
                        logger.warning(
                            "outbox WAL held back by a reader on an old snapshot: it grows until the reader ends",
                            ["wal_bytes": .int(Checkpointer.walBytes(path))])
                    }
                }
            } catch {
                db = nil
                retryAt = now.addingTimeInterval(policy.retryInterval.seconds)
                logger.warning("outbox checkpoint failed", ["error": .string(error.name)])
            }
        }
    }
}

extension Duration {
    /// The length in seconds, for `Date` arithmetic.
    fileprivate var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
