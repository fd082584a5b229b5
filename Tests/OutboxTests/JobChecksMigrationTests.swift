import Foundation
import RelayCore
import XCTest

@testable import Outbox

/// Migration 0006: `jobs` with its CHECK constraints written as comparisons, not IN lists (SQLite
/// builds a temporary index of an IN list of three or more values for every row it checks). The
/// same rows are refused and kept; the webhook's insert builds no temporary index.
final class JobChecksMigrationTests: XCTestCase {
    private static let rebuild = 6

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
        let db = try SQLiteDatabase(path: tmp.path, configuration: .init())
        try Migrator(migrations: EmbeddedMigrations.all.filter { $0.version < Self.rebuild }).migrate(db, now: start)
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
}
