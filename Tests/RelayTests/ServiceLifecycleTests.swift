import Foundation
import RelayCore
import RelayCrypto
import RelayTestSupport
import XCTest

@testable import Relay

/// The service's parts start through one `ServiceGroup`: a listener that cannot bind fails the
/// start before the delivery pool claims anything, and what did start is stopped again.
final class ServiceLifecycleTests: XCTestCase {
    /// The review's case: a second `serve` on a taken port. The same database is now refused at
    /// open (the owner's lock, `OneOwnerTests`), so the second runs over a copy of the first's
    /// database (`.backup`, WAL included) holding the same queued job, which stays queued unless
    /// the second claims it.
    private func assertSecondServeFails(taking which: (TestService, inout Configuration) -> Void) throws {
        let first = try TestService { $0.deliveryEnabled = false }
        let r = try first.post(#"{"identifier": "084512340987", "otp": "123456", "channel": "whatsapp"}"#)
        XCTAssertEqual(r.status, 200)
        let id = try XCTUnwrap(r.json?["id"] as? String)

        var c = first.service.configuration
        c.deliveryEnabled = true
        c.sandboxFile = first.dir.file("second-sandbox.jsonl")
        c.listen = ListenAddress(host: "127.0.0.1", port: 0)
        c.adminListen = ListenAddress(host: "127.0.0.1", port: 0)
        c.databasePath = first.dir.file("second.sqlite")
        let backup = Process()
        backup.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        backup.arguments = [first.db, ".backup '\(c.databasePath)'"]
        try backup.run()
        backup.waitUntilExit()
        XCTAssertEqual(backup.terminationStatus, 0)
        which(first, &c)
        let lines = LogCapture()
        let second = try RelayService(
            configuration: c, dataKey: first.dataKey, logger: Logger(level: .debug, sink: { lines.append($0) }))
        XCTAssertThrowsError(try second.start(), "the port is taken")
        XCTAssertFalse(second.pool?.isRunning ?? true, "no worker pool left running")
        Thread.sleep(forTimeInterval: 0.3)  // a pool that had started would have claimed by now

        XCTAssertFalse(lines.all.contains("delivery started"), "the pool never started")
        let row = try sqliteQuery(c.databasePath, "SELECT status, attempts, coalesce(lease_until, 'none') FROM jobs WHERE id = '\(id)'")
        XCTAssertEqual(row, ["queued|0|none"], "not claimed, not tried")
        XCTAssertEqual(try sqliteQuery(c.databasePath, "SELECT count(*) FROM attempts"), ["0"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: c.sandboxFile), "nothing delivered")
        second.shutdown()  // after a failed start: nothing left to stop

        // The first instance still serves.
        XCTAssertEqual(try first.post(#"{"identifier": "084512340988", "otp": "123456", "channel": "sms"}"#).status, 200)
    }

    func testTakenPublicPortFailsStartBeforeThePoolRuns() throws {
        try assertSecondServeFails { first, c in c.listen = ListenAddress(host: "127.0.0.1", port: first.port) }
    }

    func testTakenAdminPortFailsStartBeforeThePoolRuns() throws {
        try assertSecondServeFails { first, c in c.adminListen = ListenAddress(host: "127.0.0.1", port: first.service.adminPort) }
    }

    func testStartsInOrderAndStopsInReverse() throws {
        let s = try TestService { $0.retention = .seconds(86_400) }
        XCTAssertEqual(
            s.service.group.components.map(\.lifecycleName), ["store", "retention", "admin http", "public http", "delivery"])
        XCTAssertTrue(s.service.pool?.isRunning ?? false)
        s.service.shutdown()
        XCTAssertFalse(s.service.pool?.isRunning ?? true)
        let text = s.logLines.all
        let poolStopped = try XCTUnwrap(text.range(of: "delivery stopped")).lowerBound
        let listenerStopped = try XCTUnwrap(text.range(of: "http.stopped")).lowerBound
        let storeStopped = try XCTUnwrap(text.range(of: "\"stopped\"")?.lowerBound ?? text.range(of: "stopped accepted")?.lowerBound)
        XCTAssertLessThan(poolStopped, listenerStopped, "the pool drains while the listeners still answer")
        XCTAssertLessThan(listenerStopped, storeStopped)
        XCTAssertTrue(s.service.publicHandler.isDraining)
    }
}
