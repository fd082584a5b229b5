import CPostgres
import Foundation

/// One libpq connection: parameterized statements (`PQexecParams`, unnamed, text format: nothing
/// prepared survives on the server, so a PgBouncer in transaction mode can serve it), results
/// copied out, errors mapped (`PGError`), and reconnection with backoff: a lost connection is
/// dropped, the next use connects again, and after a failed connect further uses fail at once
/// (`connectionLost`) until the backoff (100 ms doubling to 2 s) has passed, so an unreachable
/// database costs callers no waiting. A statement that failed is never retried here: the caller
/// knows whether it may be.
///
/// Not thread-safe: one thread at a time (the writer's, the listener's, or a `PGPool` lease).
/// `@unchecked Sendable` so a pool can hand it between threads under its lock.
final class PGConnection: @unchecked Sendable {
    let conninfo: String
    private let applicationName: String
    private(set) var handle: OpaquePointer?
    private var retryAt: ContinuousClock.Instant?
    private var backoff: Duration = .zero
    static let minBackoff: Duration = .milliseconds(100)
    static let maxBackoff: Duration = .seconds(2)
    /// Seconds libpq waits for one connect (per host of a multi-host string) unless the string says.
    static let connectTimeoutSeconds = "3"

    /// Statements run on every new session (`SET …`), before its first use.
    private let sessionSetup: [String]
    /// True for the listener, which reads its notifications; other connections free what arrives.
    let keepsNotifications: Bool

    init(conninfo: String, applicationName: String = "otp-relay", sessionSetup: [String] = [], keepsNotifications: Bool = false) {
        self.conninfo = conninfo
        self.applicationName = applicationName
        self.sessionSetup = sessionSetup
        self.keepsNotifications = keepsNotifications
    }

    deinit { close() }

    var isOpen: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// The open connection, connecting first when there is none (within the backoff).
    @discardableResult
    func connection() throws(PGError) -> OpaquePointer {
        if let handle {
            if PQstatus(handle) == CONNECTION_OK { return handle }
            close()
        }
        if let retryAt, ContinuousClock.now < retryAt {
            throw .lost("database unreachable (reconnecting)")
        }
        // Defaults first: the expanded connection string (`dbname`) overrides what it sets.
        let keys = ["connect_timeout", "application_name", "dbname"]
        let values = [Self.connectTimeoutSeconds, applicationName, conninfo]
        let conn = withCStrings(keys) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let e = PGError.lost(PGError.connectionMessage(conn))
            if let conn { PQfinish(conn) }
            backoff = backoff == .zero ? Self.minBackoff : min(backoff * 2, Self.maxBackoff)
            retryAt = ContinuousClock.now + backoff
            throw e
        }
        backoff = .zero
        retryAt = nil
        handle = conn
        for sql in sessionSetup { try exec(sql) }
        return conn
    }

    /// Runs one statement with `$1…$n` bound to `params` (text; nil is NULL).
    @discardableResult
    func exec(_ sql: String, _ params: [String?] = []) throws(PGError) -> PGResult {
        let conn = try connection()
        let result = withOptionalCStrings(params) { values in
            PQexecParams(conn, sql, Int32(params.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        let r = Self.copy(try check(result, conn))
        discardNotifications(conn)
        return r
    }

    /// Runs a script of several statements without parameters (migrations).
    func execScript(_ sql: String) throws(PGError) {
        let conn = try connection()
        let result = PQexec(conn, sql)
        defer { PQclear(result) }
        _ = try check(result, conn)
    }

    /// `result` when its statement succeeded; else its error (a lost connection is closed first).
    private func check(_ result: OpaquePointer?, _ conn: OpaquePointer) throws(PGError) -> OpaquePointer {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        guard let result, status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let e = PGError.from(result: result, connection: conn)
            if e.connectionLost { close() }
            throw e
        }
        return result
    }

    /// `ROLLBACK` when a transaction is open or failed (after an error inside one); ignores errors.
    func rollbackIfNeeded() {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return }
        let s = PQtransactionStatus(handle)
        if s == PQTRANS_INTRANS || s == PQTRANS_INERROR { _ = try? exec("ROLLBACK") }
    }

    func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    static func copy(_ r: OpaquePointer) -> PGResult {
        let n = Int(PQntuples(r)), m = Int(PQnfields(r))
        var rows: [[String?]] = []
        rows.reserveCapacity(n)
        for i in 0..<n {
            var row: [String?] = []
            row.reserveCapacity(m)
            for j in 0..<m {
                if PQgetisnull(r, Int32(i), Int32(j)) != 0 {
                    row.append(nil)
                } else {
                    row.append(String(cString: PQgetvalue(r, Int32(i), Int32(j))))
                }
            }
            rows.append(row)
        }
        let affected = PQcmdTuples(r).flatMap { Int(String(cString: $0)) } ?? 0
        return PGResult(rows: rows, affected: affected)
    }
}

/// Calls `body` with a NULL-free C array of the strings (valid only inside `body`).
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Calls `body` with a C array of the strings, nil entries as NULL pointers (SQL NULL).
func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies = strings.map { $0.map { strdup($0) } ?? nil }
    defer { copies.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
