import Dispatch
import RelayTestSupport
import XCTest

@testable import HTTPServer

#if canImport(Glibc)
import Glibc
#endif

/// Deadlines use small values; assertions have wide margins (no performance timing).
final class DeadlineTests: ServerTestCase {
    func testSlowlorisIsClosedAndDoesNotDelayOthers() throws {
        let server = try startServer {
            $0.headTimeout = .milliseconds(800)
            $0.bodyTimeout = .milliseconds(800)
        }
        let slow = try client(server, timeoutMillis: 5000)
        let request = Array(get("/slow").utf8)
        let started = DispatchTime.now().uptimeNanoseconds
        let slowDone = DispatchSemaphore(value: 0)
        let closedAfter = LockedBox<Int?>(nil)
        let gotStatus = LockedBox<Int?>(nil)
        let writer = Thread {
            for b in request {
                try? slow.send([b])  // the server may close first
                usleep(100_000)
                if closedAfter.value != nil { break }
            }
        }
        writer.start()
        let reader = Thread {
            gotStatus.value = try? slow.readResponse()?.status
            if slow.waitForClose() { closedAfter.value = millisSince(started) }
            slowDone.signal()
        }
        reader.start()

        // A normal client meanwhile gets its answers at once.
        let normal = try client(server, timeoutMillis: 2000)
        for i in 0..<10 {
            try normal.send(get("/n\(i)"))
            XCTAssertEqual(try normal.readResponse()?.text, "GET /n\(i) ")
        }
        XCTAssertLessThan(millisSince(started), 700, "normal client was delayed")

        XCTAssertEqual(slowDone.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(gotStatus.value, 408)
        let closed = try XCTUnwrap(closedAfter.value)
        XCTAssertGreaterThanOrEqual(closed, 750)
        XCTAssertLessThan(closed, 3000)
    }

    func testSlowBodyGets408() throws {
        let server = try startServer { $0.bodyTimeout = .milliseconds(300) }
        let c = try client(server)
        try c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        let started = DispatchTime.now().uptimeNanoseconds
        XCTAssertEqual(try c.readResponse()?.status, 408)
        XCTAssertTrue(c.waitForClose())
        XCTAssertGreaterThanOrEqual(millisSince(started), 250)
    }

    func testIdleKeepAliveConnectionIsClosed() throws {
        let server = try startServer { $0.idleTimeout = .milliseconds(300) }
        let c = try client(server)
        try c.send(get("/"))
        XCTAssertEqual(try c.readResponse()?.status, 200)
        let started = DispatchTime.now().uptimeNanoseconds
        XCTAssertTrue(c.waitForClose())
        let waited = millisSince(started)
        XCTAssertGreaterThanOrEqual(waited, 250)
        XCTAssertLessThan(waited, 3000)
    }

    func testConnectionWithoutAnyRequestIsClosedWhenIdle() throws {
        let server = try startServer { $0.idleTimeout = .milliseconds(200) }
        let c = try client(server)
        XCTAssertTrue(c.waitForClose())
    }

    func testPeerThatStopsReadingIsClosedAfterWriteTimeout() throws {
        struct Big: HTTPHandler {
            func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
                respond(HTTPResponse(status: 200, body: [UInt8](repeating: 0x61, count: 32 << 20)))
            }
        }
        let server = try startServer(Big()) { $0.writeTimeout = .milliseconds(300) }
        let c = try client(server)
        var small: Int32 = 4096
        setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        try c.send(get("/big"))
        usleep(1_200_000)
        var received = 0
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { break }
            received += n
        }
        XCTAssertLessThan(received, 32 << 20, "the whole body went out; the test did not block the writer")
    }

    func testSlowHandlerIsNotAHeadTimeout() throws {
        let server = try startServer(AsyncHandler()) {
            $0.headTimeout = .milliseconds(200); $0.idleTimeout = .milliseconds(200)
        }
        let c = try client(server)
        try c.send(get("/slow", "X-Delay: 600\r\n"))
        XCTAssertEqual(try c.readResponse()?.text, "GET /slow ")
    }
}
