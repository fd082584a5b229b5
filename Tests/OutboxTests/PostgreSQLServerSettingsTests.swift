import Foundation
import RelayCore
import RelayCrypto
import RelayTestSupport
import Synchronization
import XCTest

@testable import Outbox

/// The serving node reports the server settings that break its promise (`PGServerSettings`).
final class PostgreSQLServerSettingsTests: XCTestCase {
    private func open(_ url: String, access: StoreAccess) throws -> [String] {
        let lines = Mutex<[String]>([])
        let logger = Logger(level: .debug, sink: { line in lines.withLock { $0.append(line) } })
        let store = try StoreFactory.open(
            .postgresql(url: url), keys: KeyRing(current: testKey), logger: logger, access: access)
        store.close()
        return lines.withLock { $0 }.filter { $0.contains("PostgreSQL setting") }
    }

    /// On the test server (fsync on, the default min_wal_size of 80 MB) the serving node warns of
    /// min_wal_size only; a database whose sessions default to synchronous_commit = off adds an error;
    /// an operator's command (shared access) says nothing.
    func testTheServingNodeReportsWhatBreaksItsPromise() throws {
        guard let s = PostgresServer.shared else { throw XCTSkip(PostgresServer.unavailableReason ?? "no PostgreSQL") }
        let url = try s.createDatabase()
        let lines = try open(url, access: .owner)
        XCTAssertEqual(lines.count, 1, "\(lines)")
        XCTAssertTrue(lines[0].contains(#""level":"warning""#) && lines[0].contains(#""setting":"min_wal_size","value":"80MB""#), lines[0])
        XCTAssertEqual(try open(url, access: .shared), [], "CLI commands stay quiet")

        let database = try XCTUnwrap(url.split(separator: "/").last)
        _ = try s.query(url, "ALTER DATABASE \(database) SET synchronous_commit = off")
        let after = try open(url, access: .owner)
        XCTAssertEqual(after.count, 2, "\(after)")
        XCTAssertTrue(
            after[0].contains(#""level":"error""#) && after[0].contains(#""setting":"synchronous_commit","value":"off""#), after[0])
    }

    func testFindings() {
        let good = PGServerSettings(fsync: "on", fullPageWrites: "on", synchronousCommit: "on", minWALBytes: 1 << 30)
        XCTAssertEqual(good.findings, [])
        var remote = good
        remote.synchronousCommit = "remote_apply"
        XCTAssertEqual(remote.findings, [], "waiting for a standby keeps the promise")
        let bad = PGServerSettings(fsync: "off", fullPageWrites: "off", synchronousCommit: "off", minWALBytes: 80 << 20)
        XCTAssertEqual(bad.findings.map(\.setting), ["fsync", "full_page_writes", "synchronous_commit", "min_wal_size"])
        XCTAssertEqual(bad.findings.map(\.level), [.error, .error, .error, .warning])
        XCTAssertEqual(bad.findings.last?.value, "80MB")
    }
}
