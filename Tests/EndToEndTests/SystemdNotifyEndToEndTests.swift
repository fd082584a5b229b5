import Foundation
import RelayTestSupport
import XCTest

/// The real binary as a `Type=notify` service: a real AF_UNIX datagram socket as `$NOTIFY_SOCKET`
/// receives READY=1 once it serves, WATCHDOG=1 every half `WATCHDOG_USEC`, STOPPING=1 at SIGTERM.
final class SystemdNotifyEndToEndTests: XCTestCase {
    func run(socketName: String, watchdogUsec: Int?) throws -> (messages: [String], readyz: Int?, pid: Int32) {
        let dir = TempDirectory()
        let sock = try NotifySocket(name: socketName == "path" ? dir.file("notify") : socketName)
        var env = CrashRecoveryTests.environment(dir)
        env["NOTIFY_SOCKET"] = sock.name
        if let watchdogUsec { env["WATCHDOG_USEC"] = String(watchdogUsec) }
        let p = try ServiceProcess(environment: env, directory: dir.path)
        var messages = sock.receive(until: { $0.hasPrefix("READY=1") }, timeoutSeconds: 20)
        try p.waitUntilListening()
        let c = try RawConnection(port: p.adminPort)
        try c.send(
            "GET /readyz HTTP/1.1\r\nHost: x\r\nAuthorization: \(WebhookRequest.basic("admin", CrashRecoveryTests.password))\r\n\r\n")
        let readyz = try c.readResponse()?.status
        messages += sock.receive(until: { _ in false }, timeoutSeconds: 1)
        p.signal(SIGTERM)
        messages += sock.receive(until: { $0.hasPrefix("STOPPING=1") }, timeoutSeconds: 10)
        XCTAssertEqual(p.waitForExit(timeoutSeconds: 30), 0, p.stderr)
        return (messages, readyz, p.process.processIdentifier)
    }

    func testReadyWatchdogAndStoppingOnAPathSocket() throws {
        let (m, readyz, pid) = try run(socketName: "path", watchdogUsec: 200_000)
        XCTAssertEqual(m.first, "READY=1\nSTATUS=serving\nMAINPID=\(pid)", "\(m)")
        XCTAssertEqual(readyz, 200, "ready when READY=1 was sent")
        let pings = m.filter { $0 == "WATCHDOG=1" }.count
        XCTAssertGreaterThanOrEqual(pings, 4, "every 100 ms for the second watched: \(m)")
        XCTAssertEqual(m.last, "STOPPING=1\nSTATUS=draining", "\(m)")
    }

    func testAnAbstractSocketWithoutAWatchdog() throws {
        let (m, _, pid) = try run(socketName: "@otp-relay-e2e-\(UUID().uuidString.prefix(8))", watchdogUsec: nil)
        XCTAssertEqual(m, ["READY=1\nSTATUS=serving\nMAINPID=\(pid)", "STOPPING=1\nSTATUS=draining"])
    }
}
