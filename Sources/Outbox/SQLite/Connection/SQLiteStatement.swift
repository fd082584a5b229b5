import CSQLite

/// A prepared statement, finalized in deinit. Owned by one `SQLiteDatabase` and confined to its
/// thread (the connection's `ThreadOwnership` is checked on prepare and step). Bind by name
/// (`bind(id, to: ":id")`) or, for one-parameter statements, by 1-based index;
/// `SQLiteDatabase.withStatement` resets and clears bindings afterwards so no bound secret lingers
/// in SQLite's memory.
///
/// Names are string literals (`StaticString`): each is resolved with `sqlite3_bind_parameter_index`
/// once per prepared statement and remembered by the literal's address; binds that come in the
/// same order as last time (every call site binds in a fixed order) then cost one pointer compare
/// each, so the writer's 13-parameter insert pays no lookup per row.
final class SQLiteStatement {
    let handle: OpaquePointer
    private unowned let db: SQLiteDatabase
    /// Parameter names seen so far (by literal address) and their indexes, in first-bind order.
    private var resolved: [(name: UnsafeRawPointer, index: Int32)] = []
    /// Where the next bind's name is expected in `resolved` (reset with the statement).
    private var nextResolved = 0

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
    }

    /// The index of the parameter `name` (`:id`).
    @inline(__always)
    private func index(_ name: StaticString) -> Int32 {
        let key = UnsafeRawPointer(name.utf8Start)
        if nextResolved < resolved.count, resolved[nextResolved].name == key {
            defer { nextResolved += 1 }
            return resolved[nextResolved].index
        }
        return resolve(name, key)
    }

    /// First bind of `name` on this statement, or a bind out of the usual order. Traps on a name
    /// the SQL does not have (a typo in a named constant, found by the first test that runs it).
    private func resolve(_ name: StaticString, _ key: UnsafeRawPointer) -> Int32 {
        if let k = resolved.firstIndex(where: { $0.name == key }) {
            nextResolved = k + 1
            return resolved[k].index
        }
        let i = sqlite3_bind_parameter_index(handle, key.assumingMemoryBound(to: CChar.self))
        guard i > 0 else { preconditionFailure("SQL has no parameter \(name)") }
        resolved.append((key, i))
        nextResolved = resolved.count
        return i
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        nextResolved = 0
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

    func bind(_ v: Int64, to name: StaticString) { bind(index(name), v) }
    func bind(_ v: Int, to name: StaticString) { bind(index(name), v) }
    func bind(_ v: Int64?, to name: StaticString) { bind(index(name), v) }
    func bind(_ v: Int?, to name: StaticString) { bind(index(name), v) }
    func bind(_ v: String?, to name: StaticString) { bind(index(name), v) }
    func bind(_ v: [UInt8]?, to name: StaticString) { bind(index(name), v) }
    func bind(_ v: Bool, to name: StaticString) { bind(index(name), v ? 1 : 0) }

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

    var columnCount: Int32 { sqlite3_column_count(handle) }
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
