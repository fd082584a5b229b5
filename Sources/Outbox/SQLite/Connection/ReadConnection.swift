import Dispatch

/// A read-only connection for operator queries and worker timers, so reads never wait behind the
/// writer's batches (WAL readers see the last commit). A pool of one: `read` runs on the caller's
/// thread inside `queue.sync`, so the connection is lent to that thread for the call (claimed at
/// checkout, released at return) and its `ThreadOwnership` holds every use inside to it.
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
                return .success(try withLentConnection(body))
            } catch {
                if error.needsReopen { db = nil }
                return .failure(.from(error))
            }
        }
        return try result.get()
    }

    /// Every row of one statement: `bind` sets its parameters, `row` reads a row (nil skips it).
    func rows<T>(
        _ sql: String, bind: (SQLiteStatement) -> Void = { _ in },
        row: (SQLiteStatement) throws(SQLiteError) -> T?
    ) throws(OutboxError) -> [T] {
        try read { db throws(SQLiteError) in
            try db.withStatement(sql) { s throws(SQLiteError) in
                bind(s)
                var out: [T] = []
                while try s.step() { if let r = try row(s) { out.append(r) } }
                return out
            }
        }
    }

    /// Checks the connection out to the calling thread for `body` (opening it if needed), and back in.
    private func withLentConnection<T>(_ body: (SQLiteDatabase) throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        #if DEBUG
        dispatchPrecondition(condition: .onQueue(queue))
        #endif
        let conn: SQLiteDatabase
        if let db {
            conn = db
            conn.owner.claim()
        } else {
            conn = try SQLiteDatabase(path: path, configuration: configuration)
            conn.owner.claim()
            db = conn
        }
        defer { conn.owner.release() }
        return try body(conn)
    }

    func close() {
        queue.sync {
            closed = true
            db = nil
        }
    }
}
