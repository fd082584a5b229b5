import Foundation
import RelayCore
import XCTest

@testable import Outbox

final class MigrationTests: XCTestCase {
    /// What the binary embeds (CMigrations, `.incbin`) is byte for byte `migrations/*.sql` and
    /// `migrations/postgresql/*.sql` as they are now: a build that missed an edit, or a file not in
    /// the list, fails here (run scripts/embed-migrations).
    func testEmbeddedMigrationsEqualFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations")
        try assertEmbedded(EmbeddedMigrations.all, equal: root)
        XCTAssertFalse(EmbeddedMigrations.all.isEmpty)
        try assertEmbedded(EmbeddedMigrations.postgresql, equal: root.appendingPathComponent("postgresql"))
    }

    private func assertEmbedded(_ embedded: [Migration], equal dir: URL) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        let files = names.filter { $0.hasSuffix(".sql") }.sorted()
        XCTAssertEqual(files.count, embedded.count, "\(dir.path): run scripts/embed-migrations")
        for (file, migration) in zip(files, embedded) {
            let base = String(file.dropLast(4))
            let parts = base.split(separator: "_", maxSplits: 1)
            XCTAssertEqual(Int(parts[0]), migration.version, file)
            XCTAssertEqual(String(parts[1]), migration.name, file)
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(text, migration.sql, "\(file) differs from the embedded one: run scripts/embed-migrations")
        }
        XCTAssertEqual(embedded.map(\.version), Array(0..<embedded.count).map { $0 + 1 }, "versions are consecutive from 1")
    }

    func testFreshFileIsMigratedAndRecorded() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        outbox.close()
        let rows = try query(tmp.path, "SELECT version, name, applied_at FROM schema_migrations") {
            ($0.int(0), $0.string(1), $0.int64(2))
        }
        XCTAssertEqual(rows.map(\.0), EmbeddedMigrations.all.map(\.version))
        XCTAssertEqual(rows.first?.1, "outbox")
        XCTAssertEqual(rows.first?.2, start)
        let strict = try query(tmp.path, "SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table'") {
            ($0.string(0), $0.int(1))
        }
        for name in ["jobs", "attempts", "schema_migrations", "replays"] {
            XCTAssertEqual(strict.first { $0.0 == name }?.1, 1, "\(name) is STRICT")
        }
        let columns = Set(try query(tmp.path, "SELECT name FROM pragma_table_info('jobs')") { $0.string(0) })
        for c in [
            "id", "kind", "channel", "status", "attempts", "provider", "last_error", "created_at",
            "updated_at", "run_at", "expires_at",
        ] {
            XCTAssertTrue(columns.contains(c), "dashboards rely on jobs.\(c)")
        }
    }

    func testReopenAppliesNothingTwice() throws {
        let tmp = TempDatabase()
        try makeOutbox(tmp).close()
        try makeOutbox(tmp, clock: ManualClock(start + 1000)).close()
        var c = SQLiteDatabase.Configuration()
        c.readOnly = true
        let db = try SQLiteDatabase(path: tmp.path, configuration: c)
        XCTAssertEqual(try Migrator.appliedVersions(db), EmbeddedMigrations.all.map(\.version))
        let applied = try query(tmp.path, "SELECT applied_at FROM schema_migrations") { $0.int64(0) }
        XCTAssertEqual(applied, EmbeddedMigrations.all.map { _ in start })
    }

    func testNewerSchemaIsRefused() throws {
        let tmp = TempDatabase()
        try makeOutbox(tmp).close()
        let db = try SQLiteDatabase(path: tmp.path, configuration: .init())
        try db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)")
        XCTAssertThrowsError(try Migrator().migrate(db, now: 0))
        XCTAssertThrowsError(try makeOutbox(tmp)) { error in
            XCTAssertEqual((error as? OutboxError)?.code, .startup)
        }
    }

    func testMigrationFailureRollsBack() throws {
        let tmp = TempDatabase()
        let db = try SQLiteDatabase(path: tmp.path, configuration: .init())
        let bad = Migration(version: 999, name: "bad", sql: "CREATE TABLE t (x INTEGER) STRICT; INSERT INTO nope VALUES (1);")
        XCTAssertThrowsError(try Migrator(migrations: EmbeddedMigrations.all + [bad]).migrate(db, now: 0))
        XCTAssertEqual(try Migrator.appliedVersions(db), EmbeddedMigrations.all.map(\.version))
        let t = try db.withStatement("SELECT count(*) FROM sqlite_schema WHERE name = 't'") { s throws(SQLiteError) in
            try s.step() ? s.int(0) : -1
        }
        XCTAssertEqual(t, 0, "a failed migration leaves nothing")
    }
}
