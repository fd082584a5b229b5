import Foundation
import RelayCore
import RelayTestSupport
import Synchronization
import XCTest

@testable import Relay

/// The sd_notify protocol against a real AF_UNIX datagram socket: the environment's settings,
/// READY=1 / STOPPING=1, and a watchdog fed only while `alive` holds.
final class SystemdNotifierTests: XCTestCase {
    func testSettingsFromTheEnvironment() {
        XCTAssertNil(SystemdNotifier.Settings(environment: [:]))
        XCTAssertNil(SystemdNotifier.Settings(environment: ["NOTIFY_SOCKET": ""]))
        let s = SystemdNotifier.Settings(environment: ["NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000"], pid: 42)
        XCTAssertEqual(s?.socket, "@x")
        XCTAssertEqual(s?.watchdog, .seconds(30))
        let other = SystemdNotifier.Settings(environment: ["NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "5", "WATCHDOG_PID": "7"], pid: 42)
        XCTAssertNil(other?.watchdog, "the watchdog is another process's")
        XCTAssertEqual(
            SystemdNotifier.Settings(environment: ["NOTIFY_SOCKET": "/n", "WATCHDOG_USEC": "5", "WATCHDOG_PID": "42"], pid: 42)?.watchdog,
            .microseconds(5))
        XCTAssertNil(SystemdNotifier.Settings(environment: ["NOTIFY_SOCKET": "/n", "WATCHDOG_USEC": "zero"])?.watchdog)
    }

    func testSocketAddresses() throws {
        let path = try XCTUnwrap(SystemdNotifier.socketAddress("/run/systemd/notify"))
        XCTAssertEqual(path.count, 2 + "/run/systemd/notify".utf8.count + 1, "family, path, NUL")
        let abstract = try XCTUnwrap(SystemdNotifier.socketAddress("@name"))
        XCTAssertEqual(Array(abstract[2...]), [0] + Array("name".utf8), "a leading NUL, no trailing one")
        XCTAssertNil(SystemdNotifier.socketAddress("relative"))
        XCTAssertNil(SystemdNotifier.socketAddress("vsock:2:1"))
        XCTAssertNil(SystemdNotifier.socketAddress("/" + String(repeating: "x", count: 200)))
    }

    func testTheWatchdogIsFedOnlyWhileAlive() throws {
        let sock = try NotifySocket(name: "@otp-relay-test-\(UUID().uuidString.prefix(8))")
        let alive = Atomic<Bool>(true)
        let settings = try XCTUnwrap(SystemdNotifier.Settings(environment: ["NOTIFY_SOCKET": sock.name, "WATCHDOG_USEC": "100000"]))
        let n = SystemdNotifier(settings: settings, logger: .silent) { alive.load(ordering: .relaxed) }
        try n.start()
        XCTAssertEqual(sock.receive(timeoutSeconds: 2)?.split(separator: "\n").first, "READY=1")
        let fed = sock.receive(until: { _ in false }, timeoutSeconds: 0.5)
        XCTAssertGreaterThanOrEqual(fed.filter { $0 == "WATCHDOG=1" }.count, 5, "every 50 ms: \(fed)")

        alive.store(false, ordering: .relaxed)
        _ = sock.receive(until: { _ in false }, timeoutSeconds: 0.15)  // one already on its way
        let starved = sock.receive(until: { _ in false }, timeoutSeconds: 0.5)
        XCTAssertEqual(starved, [], "nothing while not alive")

        alive.store(true, ordering: .relaxed)
        XCTAssertEqual(sock.receive(timeoutSeconds: 1), "WATCHDOG=1", "fed again")
        XCTAssertTrue(n.shutdown(by: .now + .seconds(1)))
        let last = sock.receive(until: { $0.hasPrefix("STOPPING=1") }, timeoutSeconds: 2)
        XCTAssertEqual(last.last?.split(separator: "\n").first, "STOPPING=1")
        XCTAssertNil(sock.receive(timeoutSeconds: 0.3), "the watchdog stops with the service")
    }

    func testAPathSocketAndNoWatchdog() throws {
        let dir = TempDirectory()
        let sock = try NotifySocket(name: dir.file("notify"))
        let n = SystemdNotifier(
            settings: try XCTUnwrap(SystemdNotifier.Settings(environment: ["NOTIFY_SOCKET": sock.name])), logger: .silent
        ) {
            XCTFail("no watchdog, no liveness probe")
            return true
        }
        try n.start()
        let ready = try XCTUnwrap(sock.receive(timeoutSeconds: 2))
        XCTAssertEqual(ready, "READY=1\nSTATUS=serving\nMAINPID=\(getpid())")
        XCTAssertNil(sock.receive(timeoutSeconds: 0.3))
        _ = n.shutdown(by: .now + .seconds(1))
        XCTAssertEqual(sock.receive(timeoutSeconds: 2), "STOPPING=1\nSTATUS=draining")
    }
}
