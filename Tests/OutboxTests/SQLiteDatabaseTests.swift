import CSQLite
import Foundation
import RelayCore
import XCTest

@testable import Outbox

final class SQLiteDatabaseTests: XCTestCase {
    func testConnectionSettings() throws {
        let tmp = TempDatabase()
        let db = try SQLiteDatabase(path: tmp.path, configuration: .init())
        func pragma(_ name: String) throws -> String {
            try db.withStatement("PRAGMA \(name)") { s throws(SQLiteError) in try s.step() ? s.string(0) : "" }
        }
        XCTAssertEqual(try pragma("journal_mode"), "wal")
        XCTAssertEqual(try pragma("synchronous"), "2", "FULL")
        XCTAssertEqual(try pragma("foreign_keys"), "1")
        XCTAssertEqual(try pragma("busy_timeout"), "5000")
        XCTAssertEqual(try pragma("journal_size_limit"), String(64 << 20))
    }

    func testFailedOpenThrowsTypedError() {
        XCTAssertThrowsError(try SQLiteDatabase(path: "/nonexistent-dir/x/y.sqlite", configuration: .init())) { error in
            let e = error as? SQLiteError
            XCTAssertEqual(e?.code, SQLITE_CANTOPEN)
            XCTAssertEqual(e?.operation, "open")
            XCTAssertEqual(e?.isStoreWide, true)
        }
        XCTAssertThrowsError(try SQLiteOutbox(path: "/nonexistent-dir/x/y.sqlite", dataKey: testKey, logger: .silent)) {
            XCTAssertEqual(($0 as? OutboxError)?.code, .startup)
        }
    }

    func testErrorsNeverCarryBoundValues() throws {
        let tmp = TempDatabase()
        let db = try SQLiteDatabase(path: tmp.path, configuration: .init())
        try db.execute("CREATE TABLE t (x TEXT NOT NULL UNIQUE CHECK (length(x) < 20)) STRICT")
        let secret = "+6281234567890-123456"
        XCTAssertThrowsError(try db.run("INSERT INTO t (x) VALUES (?1)") { $0.bind(1, secret) }) { error in
            let e = error as! SQLiteError
            XCTAssertEqual(e.code, SQLITE_CONSTRAINT)
            XCTAssertFalse(e.isStoreWide)
            XCTAssertFalse(e.description.contains(secret))
            XCTAssertFalse(e.description.contains("123456"))
        }
        // The statement was reset: it runs again with other bindings.
        XCTAssertEqual(try db.run("INSERT INTO t (x) VALUES (?1)") { $0.bind(1, "ok") }, 1)
        XCTAssertThrowsError(try db.run("INSERT INTO t (x) VALUES (?1)") { $0.bind(1, "ok") })
    }

    func testErrorClassification() {
        XCTAssertTrue(SQLiteError(code: SQLITE_FULL, operation: "step").isFull)
        XCTAssertTrue(SQLiteError(code: SQLITE_BUSY, operation: "step").isBusy)
        XCTAssertTrue(SQLiteError(code: (SQLITE_IOERR | 4 << 8), operation: "exec").isIOError)
        XCTAssertEqual(SQLiteError(code: (SQLITE_IOERR | 4 << 8), operation: "exec").name, "ioerr")
        XCTAssertTrue(SQLiteError(code: (SQLITE_IOERR | 4 << 8), operation: "exec").needsReopen)
        for code in [SQLITE_FULL, SQLITE_BUSY, SQLITE_IOERR, SQLITE_READONLY] {
            XCTAssertTrue(SQLiteError(code: code, operation: "x").isStoreWide)
            XCTAssertEqual(OutboxError.from(SQLiteError(code: code, operation: "x")), .unavailable)
        }
        XCTAssertFalse(SQLiteError(code: (SQLITE_CONSTRAINT | 1 << 8), operation: "x").isStoreWide)
        XCTAssertTrue(SQLiteError(code: SQLITE_FULL, operation: "step").description.contains("full"))
    }

    func testBlobAndTextRoundTrip() throws {
        let tmp = TempDatabase()
        let db = try SQLiteDatabase(path: tmp.path, configuration: .init())
        try db.execute("CREATE TABLE t (b BLOB, s TEXT, i INTEGER) STRICT")
        try db.run("INSERT INTO t VALUES (?1, ?2, ?3)") {
            $0.bind(1, [UInt8]()); $0.bind(2, "héllo"); $0.bind(3, Int64?.none)
        }
        try db.run("INSERT INTO t VALUES (?1, ?2, ?3)") {
            $0.bind(1, [0, 1, 255]); $0.bind(2, ""); $0.bind(3, Int64.max)
        }
        let rows = try db.withStatement("SELECT b, s, i FROM t ORDER BY rowid") { s throws(SQLiteError) in
            var out: [([UInt8]?, String, Int64?)] = []
            while try s.step() { out.append((s.blob(0), s.string(1), s.optionalInt64(2))) }
            return out
        }
        XCTAssertEqual(rows[0].0, [])
        XCTAssertEqual(rows[0].1, "héllo")
        XCTAssertNil(rows[0].2)
        XCTAssertEqual(rows[1].0, [0, 1, 255])
        XCTAssertEqual(rows[1].2, Int64.max)
    }

    /// Named parameters bind by name whatever the order of the binds (the usual order is resolved
    /// once and then followed; another order still finds each name), a name used twice in the SQL
    /// is one parameter, and clearing after each use leaves no value behind.
    func testNamedParametersBindInAnyOrder() throws {
        let tmp = TempDatabase()
        let db = try SQLiteDatabase(path: tmp.path, configuration: .init())
        try db.execute("CREATE TABLE t (a INTEGER, b TEXT, c INTEGER, d INTEGER) STRICT")
        let sql = "INSERT INTO t (a, b, c, d) VALUES (:a, :b, :c, :a)"
        for i in 0..<3 {
            try db.run(sql) { s in
                s.bind(i, to: ":a")
                s.bind("row\(i)", to: ":b")
                s.bind(Int64(10 * i), to: ":c")
            }
        }
        try db.run(sql) { s in
            s.bind(Int64(99), to: ":c")
            s.bind(7, to: ":a")
            s.bind("reversed", to: ":b")
        }
        try db.run(sql) { s in s.bind(8, to: ":a") }  // :b and :c were cleared: NULL
        let rows = try db.withStatement("SELECT a, b, c, d FROM t ORDER BY rowid") { s throws(SQLiteError) in
            var out: [String] = []
            while try s.step() {
                out.append("\(s.int(0))|\(s.optionalString(1) ?? "nil")|\(s.optionalInt(2).map(String.init) ?? "nil")|\(s.int(3))")
            }
            return out
        }
        XCTAssertEqual(rows, ["0|row0|0|0", "1|row1|10|1", "2|row2|20|2", "7|reversed|99|7", "8|nil|nil|8"])
    }
}
