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

    /// The watchdog pings go through the outbox writer: while another process holds SQLite's write
    /// lock the writer cannot take its empty operation, so nothing feeds the watchdog; once the
    /// lock goes, the feeding resumes.
    func testTheWatchdogStarvesWhileTheWriterIsHeld() throws {
        let dir = TempDirectory()
        let sock = try NotifySocket(name: dir.file("notify"))
        var env = CrashRecoveryTests.environment(dir)
        env["NOTIFY_SOCKET"] = sock.name
        env["WATCHDOG_USEC"] = "100000"
        let p = try ServiceProcess(environment: env, directory: dir.path)
        _ = sock.receive(until: { $0.hasPrefix("READY=1") }, timeoutSeconds: 20)
        let fed = sock.receive(until: { _ in false }, timeoutSeconds: 0.5).filter { $0 == "WATCHDOG=1" }.count
        XCTAssertGreaterThanOrEqual(fed, 4)

        let script = dir.file("hold-write-lock.py")
        try """
        import sqlite3, sys
        c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
        c.execute("BEGIN IMMEDIATE")
        print("held", flush=True)
        sys.stdin.read()
        c.execute("ROLLBACK")
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = [script, dir.file("outbox.sqlite")]
        let inp = Pipe(), out = Pipe()
        holder.standardInput = inp
        holder.standardOutput = out
        try holder.run()
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() } }
        _ = out.fileHandleForReading.availableData  // the lock is held
        _ = sock.receive(until: { _ in false }, timeoutSeconds: 0.3)  // pings already past the writer
        let starved = sock.receive(until: { _ in false }, timeoutSeconds: 1.5).filter { $0 == "WATCHDOG=1" }.count
        try inp.fileHandleForWriting.close()
        holder.waitUntilExit()
        let resumed = sock.receive(until: { $0 == "WATCHDOG=1" }, timeoutSeconds: 5)
        XCTAssertEqual(starved, 0, "no ping while the writer waits for the lock")
        XCTAssertEqual(resumed.last, "WATCHDOG=1", "fed again once the lock is released")
        XCTAssertEqual(p.terminate(), 0)
    }
}
