import CSQLite
import Foundation
import RelayCore

/// Copies WAL frames back into the database file on its own thread and connection, so the writer
/// never holds a batch while the database file is written and synced. Passive checkpoints only:
/// they never block the writer. Requests coalesce (one pending at most).
///
/// `@unchecked Sendable`: `requested` and `stopping` are guarded by `condition`; the connection is
/// opened, used and closed on the checkpointer thread only.
final class Checkpointer: @unchecked Sendable {
    private let condition = NSCondition()
    private var requested = false
    private var stopping = false
    private var running = false
    private let finished = DispatchSemaphore(value: 0)
    private let path: String
    private let configuration: SQLiteDatabase.Configuration
    private let logger: Logger

    init(path: String, configuration: SQLiteDatabase.Configuration, logger: Logger) {
        self.path = path
        var c = configuration
        c.maxPageCount = nil
        self.configuration = c
        self.logger = logger
    }

    func start() {
        condition.lock()
        running = true
        condition.unlock()
        let thread = Thread { [self] in
            loop()
            finished.signal()
        }
        thread.name = "outbox-checkpoint"
        thread.start()
    }

    /// Asks for a checkpoint soon; cheap, never blocks.
    func request() {
        condition.lock()
        if !requested {
            requested = true
            condition.signal()
        }
        condition.unlock()
    }

    /// Stops the thread and waits for it; idempotent.
    func stop() {
        condition.lock()
        let wasRunning = running && !stopping
        stopping = true
        condition.signal()
        condition.unlock()
        if wasRunning { finished.wait() }
    }

    private func loop() {
        var db: SQLiteDatabase?
        while true {
            condition.lock()
            while !requested && !stopping { condition.wait() }
            if stopping { condition.unlock(); return }
            requested = false
            condition.unlock()
            do throws(SQLiteError) {
                let conn: SQLiteDatabase
                if let db { conn = db } else { conn = try SQLiteDatabase(path: path, configuration: configuration); db = conn }
                var logFrames: Int32 = 0, copied: Int32 = 0
                let rc = sqlite3_wal_checkpoint_v2(conn.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copied)
                if rc != SQLITE_OK && rc != SQLITE_BUSY {
                    throw SQLiteError(code: sqlite3_extended_errcode(conn.handle), operation: "wal_checkpoint")
                }
            } catch {
                db = nil
                logger.warning("outbox checkpoint failed", ["error": .string(error.name)])
            }
        }
    }
}
