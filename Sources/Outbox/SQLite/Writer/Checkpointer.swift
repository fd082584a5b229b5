import CSQLite
import Foundation
import RelayCore

/// Copies WAL frames back into the database file on its own thread and connection, so the writer
/// never holds a batch while the database file is written and synced. Passive checkpoints only:
/// they never block the writer. Requests coalesce (one pending at most).
///
/// `@unchecked Sendable`: `requested` is guarded by `thread`'s lock (touched only in its closures);
/// the connection is opened, used and closed on the checkpointer thread only (its
/// `ThreadOwnership` checks that).
final class Checkpointer: @unchecked Sendable {
    private let thread = ConditionThread(name: "outbox-checkpoint", drainsOnStop: false)
    private var requested = false
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

    /// Stops the thread and waits for it; idempotent.
    func stop() { thread.stop() }

    private func loop() {
        var db: SQLiteDatabase?
        while thread.nextWork(hasWork: { requested }, take: { requested = false }) != nil {
            do throws(SQLiteError) {
                let conn: SQLiteDatabase
                if let db { conn = db } else { conn = try SQLiteDatabase(path: path, configuration: configuration); db = conn }
                try conn.checkpointPassive()
            } catch {
                db = nil
                logger.warning("outbox checkpoint failed", ["error": .string(error.name)])
            }
        }
    }
}
