import Dispatch

/// A read-only connection for operator queries and worker timers, so reads never wait behind the
/// writer's batches (WAL readers see the last commit).
/// `@unchecked Sendable`: the connection is only touched inside `queue.sync`, a serial queue.
final class ReadConnection: @unchecked Sendable {
    private let queue = DispatchQueue(label: "outbox-reader")
    private let path: String
    private let configuration: SQLiteDatabase.Configuration
    private var db: SQLiteDatabase?
    private var closed = false

    init(path: String, configuration: SQLiteDatabase.Configuration) {
        self.path = path
        var c = configuration
        c.readOnly = true
        c.maxPageCount = nil
        self.configuration = c
    }

    func read<T>(_ body: (SQLiteDatabase) throws(SQLiteError) -> T) throws(OutboxError) -> T {
        let result: Result<T, OutboxError> = queue.sync {
            if closed { return .failure(.unavailable("outbox is closed")) }
            do throws(SQLiteError) {
                let conn: SQLiteDatabase
                if let db { conn = db } else { conn = try SQLiteDatabase(path: path, configuration: configuration); db = conn }
                return .success(try body(conn))
            } catch {
                if error.needsReopen { db = nil }
                return .failure(.from(error))
            }
        }
        return try result.get()
    }

    func close() {
        queue.sync {
            closed = true
            db = nil
        }
    }
}
