import Foundation
import RelayTestSupport
import XCTest

@testable import HTTPServer

/// The event loop and its connections belong to the loop's thread; a debug build traps when one
/// of their entry points is called from another thread. Each forbidden call runs in a child
/// process (`TrapExpectation`), so the trap does not end the test run.
final class ThreadOwnershipTrapTests: ServerTestCase {
    /// Runs only in the child: a response handed to a running loop directly, not via its mailbox.
    func testChildDeliversToALoopFromAnotherThread() throws {
        guard TrapExpectation.isChild else { return }
        let server = try startServer()
        let c = try client(server)
        try c.send(get("/warm"))
        XCTAssertEqual(try c.readResponse()?.status, 200)  // the loop runs and owns its thread
        let loop = try XCTUnwrap(server.loopsForTesting.first)
        loop.deliver(.response(fd: c.fd, id: 1, seq: 0, HTTPResponse(status: 200)))  // traps in a debug build
    }

    /// Runs only in the child: a connection made and used on one thread, then used on another.
    func testChildUsesAConnectionFromAnotherThread() throws {
        guard TrapExpectation.isChild else { return }
        let shared = ServerShared(maxConnections: 1, logger: nil)
        let loop = try EventLoop(index: 0, config: HTTPServerConfiguration(port: 0).normalized, handler: EchoHandler(), shared: shared)
        nonisolated(unsafe) var made: Connection?
        let done = DispatchSemaphore(value: 0)
        Thread {
            let c = Connection(fd: -1, id: 1, peer: "127.0.0.1", loop: loop)
            c.checkDeadlines(now: 0)  // this thread owns it now
            made = c
            done.signal()
        }.start()
        done.wait()
        made?.checkDeadlines(now: 0)  // traps in a debug build
    }

    func testDebugBuildTrapsWhenALoopIsUsedFromAnotherThread() throws {
        try expectTrap("testChildDeliversToALoopFromAnotherThread", message: "EventLoop used from a thread that does not own it")
    }

    func testDebugBuildTrapsWhenAConnectionIsUsedFromAnotherThread() throws {
        try expectTrap("testChildUsesAConnectionFromAnotherThread", message: "Connection used from a thread that does not own it")
    }

    private func expectTrap(_ test: String, message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try TrapExpectation.assertChildTraps(
            test: "HTTPServerTests.ThreadOwnershipTrapTests/\(test)", message: message, file: file, line: line)
    }
}
