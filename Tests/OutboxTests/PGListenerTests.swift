import Foundation
import RelayCore
import RelayTestSupport
import XCTest

@testable import Outbox

/// The PostgreSQL listener's check that notifications reach it (`PGListener`), against the real
/// server: a probe that comes back, a probe that cannot (sent to another database: what a
/// transaction-pooling PgBouncer does to it), and a PgBouncer in session mode, through which
/// `LISTEN` works. Through transaction mode: `PgBouncerEndToEndTests`.
final class PGListenerTests: XCTestCase {
    static let error = "notifications do not reach this node's listener"

    func server() throws -> PostgresServer {
        guard let s = PostgresServer.shared else { throw XCTSkip(PostgresServer.unavailableReason ?? "no PostgreSQL") }
        return s
    }

    /// A started listener on `url` probing through `probeURL`; its log lines and wake-up count.
    func listener(_ url: String, probe probeURL: String? = nil, reports: Bool = true) -> (PGListener, LockedList, LockedBox<Int>) {
        let lines = LockedList()
        let wakes = LockedBox(0)
        let l = PGListener(
            conninfo: url, probeConninfo: probeURL, probeWait: .milliseconds(400), reportsUnreachable: reports,
            logger: Logger(level: .info, sink: lines.append), onNotify: { wakes.with { $0 += 1 } })
        l.start()
        return (l, lines, wakes)
    }

    func testAProbeThatComesBackReportsTheListenerReached() throws {
        let s = try server()
        let url = try s.createDatabase(prefix: "lis")
        let (l, lines, _) = listener(url)
        defer { l.stop() }
        XCTAssertTrue(waitFor(5) { l.reachable != nil })
        XCTAssertEqual(l.reachable, true, lines.all.joined(separator: "\n"))
        XCTAssertFalse(lines.all.contains { $0.contains(Self.error) })
        XCTAssertEqual(l.received.load(ordering: .relaxed), 0, "a probe is not a wake-up")
    }

    func testAProbeThatNeverComesBackIsOneErrorAndWakeUpsStillArrive() throws {
        let s = try server()
        let url = try s.createDatabase(prefix: "lis")
        let elsewhere = try s.createDatabase(prefix: "lis")
        let (l, lines, wakes) = listener(url, probe: elsewhere)
        defer { l.stop() }
        XCTAssertTrue(waitFor(5) { l.reachable != nil })
        XCTAssertEqual(l.reachable, false)
        let errors = lines.all.filter { $0.contains(Self.error) }
        XCTAssertEqual(errors.count, 1, lines.all.joined(separator: "\n"))
        XCTAssertTrue(errors[0].contains("\"level\":\"error\"") && errors[0].contains("database_listen_url"), errors[0])
        // It still listens (nothing is given up that works): a wake-up on its database arrives.
        _ = try s.query(url, "SELECT pg_notify('\(PGSQL.channel)', '')")
        XCTAssertTrue(waitFor(5) { wakes.value == 1 })
    }

    /// A store a CLI command opens (not the serving node) keeps the state but logs nothing.
    func testAListenerThatDoesNotReportStaysQuiet() throws {
        let s = try server()
        let url = try s.createDatabase(prefix: "lis")
        let elsewhere = try s.createDatabase(prefix: "lis")
        let (l, lines, _) = listener(url, probe: elsewhere, reports: false)
        defer { l.stop() }
        XCTAssertTrue(waitFor(5) { l.reachable != nil })
        XCTAssertEqual(l.reachable, false)
        XCTAssertEqual(lines.all.filter { $0.contains(Self.error) }, [])
    }

    func testThroughSessionPoolingTheListenerIsReached() throws {
        let s = try server()
        let bouncer = try PgBouncerProcess(server: s, poolMode: "session", poolSize: 4)
        defer { bouncer.stop() }
        let url = bouncer.url(for: try s.createDatabase(prefix: "lis"))
        let (l, lines, wakes) = listener(url)
        defer { l.stop() }
        XCTAssertTrue(waitFor(5) { l.reachable != nil })
        XCTAssertEqual(l.reachable, true, lines.all.joined(separator: "\n") + bouncer.log)
        _ = try s.query(url, "SELECT pg_notify('\(PGSQL.channel)', '')")
        XCTAssertTrue(waitFor(5) { wakes.value == 1 })
    }

    func testThroughTransactionPoolingNoLISTENIsSent() throws {
        let s = try server()
        let bouncer = try PgBouncerProcess(server: s, poolSize: 2)
        defer { bouncer.stop() }
        let direct = try s.createDatabase(prefix: "lis")
        let (l, lines, _) = listener(bouncer.url(for: direct))
        defer { l.stop() }
        XCTAssertTrue(waitFor(5) { l.reachable != nil })
        XCTAssertEqual(l.reachable, false)
        XCTAssertEqual(lines.all.filter { $0.contains(Self.error) }.count, 1, lines.all.joined(separator: "\n"))
        XCTAssertTrue(lines.all.contains { $0.contains("no LISTEN sent") }, lines.all.joined(separator: "\n"))
        // No server session listens (each would keep the channel after its client left).
        for _ in 0..<3 { _ = try s.query(direct, "SELECT pg_notify('\(PGSQL.channel)', '')") }
        usleep(200_000)
        XCTAssertFalse(bouncer.log.contains("from server when not linked"), bouncer.log)
    }
}
