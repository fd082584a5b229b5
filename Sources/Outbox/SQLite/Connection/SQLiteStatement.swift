import CSQLite

/// A prepared statement, finalized in deinit. Owned by one `SQLiteDatabase` and confined to its
/// thread (the connection's `ThreadOwnership` is checked on prepare and step). Bind by name
/// (`bind(id, to: ":id")`; the statement's parameter names are resolved to indexes once, when it
/// is prepared) or by 1-based index for one-parameter statements; `SQLiteDatabase.withStatement`
/// resets and clears bindings afterwards so no bound secret lingers in SQLite's memory.
final class SQLiteStatement {
    let handle: OpaquePointer
    private unowned let db: SQLiteDatabase
    /// `:name` → 1-based index, read once from SQLite at prepare time.
    private let parameterIndexes: [String: Int32]

    init(db: SQLiteDatabase, sql: String) throws(SQLiteError) {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(db.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            // The message quotes our SQL (never a bound value): useful when a statement is wrong.
            let msg = String(cString: sqlite3_errmsg(db.handle))
            sqlite3_finalize(stmt)
            throw SQLiteError(code: rc, operation: "prepare", detail: msg)
        }
        self.handle = stmt
        self.db = db
        var indexes: [String: Int32] = [:]
        let count = sqlite3_bind_parameter_count(stmt)
        if count > 0 {
            for i in 1...count {
                if let name = sqlite3_bind_parameter_name(stmt, i) { indexes[String(cString: name)] = i }
            }
        }
        self.parameterIndexes = indexes
    }

    /// The index of the parameter `name` (`:id`); traps on a name the statement does not have (a
    /// typo in a named constant, found by the first test that runs it).
    @inline(__always)
    private func index(_ name: String) -> Int32 {
        guard let i = parameterIndexes[name] else { preconditionFailure("SQL has no parameter \(name)") }
        return i
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: binding

    func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(handle, i, v) }
    func bind(_ i: Int32, _ v: Int) { sqlite3_bind_int64(handle, i, Int64(v)) }
    func bind(_ i: Int32, _ v: Int64?) {
        if let v { sqlite3_bind_int64(handle, i, v) } else { sqlite3_bind_null(handle, i) }
    }
    func bind(_ i: Int32, _ v: Int?) { bind(i, v.map(Int64.init)) }

    func bind(_ i: Int32, _ v: String?) {
        guard var v else { sqlite3_bind_null(handle, i); return }
        v.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { c in
                if let base = c.baseAddress {
                    _ = sqlite3_bind_text(handle, i, base, Int32(c.count), csqlite_transient())
                } else {
                    _ = sqlite3_bind_text(handle, i, "", 0, csqlite_transient())
                }
            }
        }
    }

    func bind(_ i: Int32, _ v: [UInt8]?) {
        guard let v else { sqlite3_bind_null(handle, i); return }
        if v.isEmpty { sqlite3_bind_zeroblob(handle, i, 0); return }
        v.withUnsafeBytes { _ = sqlite3_bind_blob(handle, i, $0.baseAddress, Int32($0.count), csqlite_transient()) }
    }

    // MARK: binding by name

    func bind(_ v: Int64, to name: String) { bind(index(name), v) }
    func bind(_ v: Int, to name: String) { bind(index(name), v) }
    func bind(_ v: Int64?, to name: String) { bind(index(name), v) }
    func bind(_ v: Int?, to name: String) { bind(index(name), v) }
    func bind(_ v: String?, to name: String) { bind(index(name), v) }
    func bind(_ v: [UInt8]?, to name: String) { bind(index(name), v) }
    func bind(_ v: Bool, to name: String) { bind(index(name), v ? 1 : 0) }

    // MARK: stepping

    /// Steps once: true when a row is available, false when done.
    func step() throws(SQLiteError) -> Bool {
        db.owner.check()
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw SQLiteError(code: sqlite3_extended_errcode(db.handle), operation: "step")
    }

    // MARK: columns (0-based)

    func isNull(_ c: Int32) -> Bool { sqlite3_column_type(handle, c) == SQLITE_NULL }
    func int64(_ c: Int32) -> Int64 { sqlite3_column_int64(handle, c) }
    func int(_ c: Int32) -> Int { Int(sqlite3_column_int64(handle, c)) }
    func optionalInt64(_ c: Int32) -> Int64? { isNull(c) ? nil : int64(c) }
    func optionalInt(_ c: Int32) -> Int? { isNull(c) ? nil : int(c) }

    func string(_ c: Int32) -> String {
        guard let p = sqlite3_column_text(handle, c) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, c))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }
    func optionalString(_ c: Int32) -> String? { isNull(c) ? nil : string(c) }

    func blob(_ c: Int32) -> [UInt8]? {
        if isNull(c) { return nil }
        let n = Int(sqlite3_column_bytes(handle, c))
        guard n > 0, let p = sqlite3_column_blob(handle, c) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}
