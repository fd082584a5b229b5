import Foundation
import RelayCore
import XCTest

@testable import Outbox

/// Migrations 0006 (`jobs`) and 0008 (`attempts`, `receipts`): CHECK constraints written as
/// comparisons, not IN lists (SQLite builds a temporary index of an IN list of three or more values
/// for every row it checks). The same rows are refused and kept; the webhook's insert, the attempt
/// of every send and the receipt row build no temporary index.
final class JobChecksMigrationTests: XCTestCase {
    private static let rebuild = 6
    private static let attemptsRebuild = 8

    /// SQLite's program for the webhook insert: no `OpenEphemeral` (0005's `channel IN (…)`,
    /// `status IN (…)` and `status NOT IN (…)` checks each opened one, for every job).
    func testTheJobInsertBuildsNoTemporaryIndex() throws {
        let tmp = TempDatabase()
        try makeOutbox(tmp).close()
        let opcodes = try query(tmp.path, "EXPLAIN " + JobsSQL.insert) { $0.string(1) }
        XCTAssertTrue(opcodes.contains("Insert") || opcodes.contains("IdxInsert"), "\(opcodes)")
        XCTAssertFalse(opcodes.contains("OpenEphemeral"), "a CHECK builds a temporary index on every insert")
    }

    func testTheChecksRefuseWhatTheyRefusedBefore() throws {
        let tmp = TempDatabase()
        try makeOutbox(tmp).close()
        let db = try SQLiteDatabase(path: tmp.path, configuration: .init())
        func insert(
            _ id: String, kind: String = "'otp'", channel: String = "'sms'", status: String = "'queued'", payload: String = "x'01'"
        )
            -> Bool
        {
            let sql = """
                INSERT INTO jobs (id, kind, channel, status, attempts, created_at, updated_at, run_at, expires_at,
                                  recipient_masked, recipient_hash, payload, lease_token, lease_until)
                VALUES ('\(id)', \(kind), \(channel), \(status), 0, 1, 1, 1, 2, 'm', x'00', \(payload), 1, 1)
                """
            return (try? db.execute(sql)) != nil
        }
        XCTAssertTrue(insert("01AAAAAAAAAAAAAAAAAAAAAAA1"))
        XCTAssertTrue(insert("01AAAAAAAAAAAAAAAAAAAAAAA2", kind: "'kyc'", channel: "'sqekyc'", status: "'sending'"))
        XCTAssertTrue(insert("01AAAAAAAAAAAAAAAAAAAAAAA3", status: "'delivered'", payload: "NULL"))
        XCTAssertFalse(insert("01AAAAAAAAAAAAAAAAAAAAAAA4", kind: "'other'"))
        XCTAssertFalse(insert("01AAAAAAAAAAAAAAAAAAAAAAA5", channel: "'fax'"))
        XCTAssertFalse(insert("01AAAAAAAAAAAAAAAAAAAAAAA6", channel: "'SMS'"), "compared as bytes, as IN did")
        XCTAssertFalse(insert("01AAAAAAAAAAAAAAAAAAAAAAA7", status: "'lost'"))
        for status in ["'delivered'", "'undelivered'", "'expired'"] {
            XCTAssertFalse(insert("01AAAAAAAAAAAAAAAAAAAAAAA8", status: status), "\(status) with a payload")
        }
        XCTAssertTrue(insert("01AAAAAAAAAAAAAAAAAAAAAAA9", status: "'dead'"))
        XCTAssertFalse(insert("01AAAAAAAAAAAAAAAAAAAAAA10", channel: "NULL"), "NOT NULL still refuses a missing channel")
    }

    /// A database at 0005 with a job, its attempt and a receipt: after 0006 the rows, the views
    /// over them, the indexes and the foreign keys are as they were.
    func testTheRebuildKeepsRowsViewsIndexesAndForeignKeys() throws {
        let tmp = TempDatabase()
        let db = try Self.database(tmp, before: Self.rebuild)
        try db.execute(
            """
            INSERT INTO jobs (id, kind, channel, status, attempts, created_at, updated_at, run_at, expires_at, sent_at,
                              recipient_masked, recipient_hash, payload, provider, fallback_at)
            VALUES ('01BBBBBBBBBBBBBBBBBBBBBBB1', 'otp', 'whatsapp', 'sent', 1, 10, 20, 10, 99, 20, 'm', x'00', x'01', 'meta', 50);
            INSERT INTO attempts (job_id, attempt, route_step, channel, provider, started_at, finished_at, outcome,
                                  provider_message_id, latency_ms)
            VALUES ('01BBBBBBBBBBBBBBBBBBBBBBB1', 1, 0, 'whatsapp', 'meta', 15, 20, 'sent', 'wamid.1', 5);
            INSERT INTO receipts (job_id, attempt, provider, provider_message_id, kind, provider_status, received_at, effect)
            VALUES ('01BBBBBBBBBBBBBBBBBBBBBBB1', 1, 'meta', 'wamid.1', 'progress', 'sent', 30, 'none');
            """)
        let indexes = "SELECT name, sql FROM sqlite_schema WHERE tbl_name = 'jobs' AND type = 'index' ORDER BY name"
        func read<T>(_ sql: String, _ row: (SQLiteStatement) -> T) throws -> [T] {
            try db.withStatement(sql) { s throws(SQLiteError) in
                var out: [T] = []
                while try s.step() { out.append(row(s)) }
                return out
            }
        }
        let indexesBefore = try read(indexes) { [$0.string(0), $0.optionalString(1) ?? ""] }
        let viewsBefore = try read("SELECT name, sql FROM sqlite_schema WHERE type = 'view' ORDER BY name") {
            [$0.string(0), $0.string(1)]
        }

        let upToTheRebuild = Migrator(migrations: EmbeddedMigrations.all.filter { $0.version <= Self.rebuild })
        XCTAssertEqual(try upToTheRebuild.migrate(db, now: start + 1), [Self.rebuild])
        XCTAssertEqual(try read(indexes) { [$0.string(0), $0.optionalString(1) ?? ""] }, indexesBefore)
        XCTAssertEqual(
            try read("SELECT name, sql FROM sqlite_schema WHERE type = 'view' ORDER BY name") { [$0.string(0), $0.string(1)] },
            viewsBefore)
        XCTAssertEqual(
            try read("SELECT status, provider, fallback_at, has_payload FROM jobs_view") {
                "\($0.string(0)) \($0.string(1)) \($0.int(2)) \($0.int(3))"
            }, ["sent meta 50 1"])
        XCTAssertEqual(try read("SELECT kind, recipient_masked FROM attempts_view") { "\($0.string(0)) \($0.string(1))" }, ["otp m"])
        XCTAssertEqual(try read("SELECT job_status FROM receipts_view") { $0.string(0) }, ["sent"])
        XCTAssertEqual(try read("PRAGMA foreign_key_check") { $0.string(0) }, [])
        XCTAssertEqual(try read("PRAGMA integrity_check") { $0.string(0) }, ["ok"])
        // The children still point at `jobs`: deleting the job cascades to them.
        try db.execute("PRAGMA foreign_keys = ON; DELETE FROM jobs;")
        XCTAssertEqual(try read("SELECT (SELECT count(*) FROM attempts) + (SELECT count(*) FROM receipts)") { $0.int(0) }, [0])
    }
    /// Each send's attempt row and each receipt row: no `OpenEphemeral` (0005's `outcome IN (…)`,
    /// `kind IN (…)` and `effect IN (…)` opened one per row).
    func testTheAttemptAndReceiptInsertsBuildNoTemporaryIndex() throws {
        let tmp = TempDatabase()
        try makeOutbox(tmp).close()
        for sql in [DeliverySQL.insertFencedAttempt, DeliverySQL.insertAttempt, ReceiptSQL.insert] {
            let opcodes = try query(tmp.path, "EXPLAIN " + sql) { $0.string(1) }
            XCTAssertTrue(opcodes.contains("Insert") || opcodes.contains("IdxInsert"), "\(opcodes)")
            XCTAssertFalse(opcodes.contains("OpenEphemeral"), "a CHECK builds a temporary index on every insert: \(sql)")
        }
    }

    /// A database at 0007 with a job, two attempts and two receipts: after 0008 the rows, rowids,
    /// views and indexes are as they were, and the checks refuse what 0005's refused.
    func testTheAttemptsAndReceiptsRebuildKeepsRowsAndRefusesTheSame() throws {
        let tmp = TempDatabase()
        let db = try Self.database(tmp, before: Self.attemptsRebuild)
        try db.execute(
            """
            INSERT INTO jobs (id, kind, channel, status, attempts, created_at, updated_at, run_at, expires_at, sent_at,
                              recipient_masked, recipient_hash, payload, provider)
            VALUES ('01CCCCCCCCCCCCCCCCCCCCCCC1', 'otp', 'whatsapp', 'sent', 2, 10, 20, 10, 99, 20, 'm', x'00', x'01', 'meta');
            INSERT INTO attempts (id, job_id, attempt, route_step, channel, provider, started_at, finished_at, outcome,
                                  provider_message_id, latency_ms, lease_token)
            VALUES (7, '01CCCCCCCCCCCCCCCCCCCCCCC1', 1, 0, 'whatsapp', 'meta', 15, 16, 'retryable', NULL, 1, 3),
                   (9, '01CCCCCCCCCCCCCCCCCCCCCCC1', 2, 0, 'whatsapp', 'meta', 17, 20, 'sent', 'wamid.2', 3, 4);
            INSERT INTO receipts (id, job_id, attempt, provider, provider_message_id, kind, provider_status, received_at, effect)
            VALUES (5, '01CCCCCCCCCCCCCCCCCCCCCCC1', 2, 'meta', 'wamid.2', 'progress', 'sent', 30, 'none'),
                   (6, '01CCCCCCCCCCCCCCCCCCCCCCC1', 2, 'meta', 'wamid.2', 'delivered', 'delivered', 31, 'delivered');
            """)
        func read(_ sql: String) throws -> [String] {
            try db.withStatement(sql) { s throws(SQLiteError) in
                var out: [String] = []
                while try s.step() { out.append((0..<s.columnCount).map { s.optionalString($0) ?? "NULL" }.joined(separator: "|")) }
                return out
            }
        }
        let tables = ["attempts", "receipts"]
        let rows = "SELECT * FROM attempts ORDER BY id; SELECT * FROM receipts ORDER BY id"
        let schema = "SELECT type, name, sql FROM sqlite_schema WHERE type IN ('index', 'view') ORDER BY name"
        let before = try tables.flatMap { try read("SELECT * FROM \($0) ORDER BY id") }
        let schemaBefore = try read(schema)
        let viewsBefore = try read("SELECT * FROM attempts_view") + read("SELECT * FROM receipts_view")
        XCTAssertEqual(try Migrator().migrate(db, now: start + 1).last, Self.attemptsRebuild)
        XCTAssertEqual(try tables.flatMap { try read("SELECT * FROM \($0) ORDER BY id") }, before, rows)
        XCTAssertEqual(try read(schema), schemaBefore)
        XCTAssertEqual(try read("SELECT * FROM attempts_view") + read("SELECT * FROM receipts_view"), viewsBefore)
        XCTAssertEqual(try read("PRAGMA foreign_key_check"), [])
        XCTAssertEqual(try read("PRAGMA integrity_check"), ["ok"])

        func accepts(_ sql: String) -> Bool { (try? db.execute(sql)) != nil }
        let attempt = { (n: Int, outcome: String) in
            """
            INSERT INTO attempts (job_id, attempt, route_step, channel, started_at, finished_at, outcome, latency_ms)
            VALUES ('01CCCCCCCCCCCCCCCCCCCCCCC1', \(n), 0, 'sms', 1, 2, \(outcome), 0)
            """
        }
        let receipt = { (n: Int, kind: String, effect: String) in
            """
            INSERT INTO receipts (job_id, attempt, provider, provider_message_id, kind, provider_status, received_at, effect)
            VALUES ('01CCCCCCCCCCCCCCCCCCCCCCC1', 2, 'meta', 'wamid.\(n)', \(kind), 's', 1, \(effect))
            """
        }
        for (n, outcome) in ["'sent'", "'retryable'", "'permanent'", "'next_route'", "'expired'"].enumerated() {
            XCTAssertTrue(accepts(attempt(10 + n, outcome)), outcome)
        }
        for outcome in ["'lost'", "'SENT'", "NULL"] { XCTAssertFalse(accepts(attempt(20, outcome)), outcome) }
        for (n, kind) in ["'progress'", "'delivered'", "'failed'", "'timeout'"].enumerated() {
            XCTAssertTrue(accepts(receipt(10 + n, kind, "'none'")), kind)
        }
        for (n, effect) in ["'delivered'", "'next_route'", "'undelivered'"].enumerated() {
            XCTAssertTrue(accepts(receipt(20 + n, "'failed'", effect)), effect)
        }
        XCTAssertFalse(accepts(receipt(30, "'read'", "'none'")))
        XCTAssertFalse(accepts(receipt(31, "'failed'", "'retry'")))
        XCTAssertFalse(accepts(receipt(32, "NULL", "'none'")))
    }

    /// `tmp`'s database migrated up to, not including, `version`.
    private static func database(_ tmp: TempDatabase, before version: Int) throws -> SQLiteDatabase {
        let db = try SQLiteDatabase(path: tmp.path, configuration: .init())
        try Migrator(migrations: EmbeddedMigrations.all.filter { $0.version < version }).migrate(db, now: start)
        return db
    }
}
