import Dispatch
import RelayCore
import RelayTestSupport
import XCTest

@testable import HTTPServer

#if canImport(Glibc)
import Glibc
#endif

final class LifecycleTests: ServerTestCase {
    func testConnectionCap() throws {
        let server = try startServer { $0.maxConnections = 2 }
        let a = try client(server), b = try client(server)
        for c in [a, b] {
            try c.send(get("/"))
            XCTAssertEqual(try c.readResponse()?.status, 200)
        }
        let over = try client(server)
        if let r = try over.readResponse() {
            XCTAssertEqual(r.status, 503)
            XCTAssertEqual(r.text, "{\"error\":\"503\"}")
        }
        XCTAssertTrue(over.waitForClose())

        // A slot frees up when a client leaves.
        try a.send(get("/", "Connection: close\r\n"))
        _ = try a.readResponse()
        XCTAssertTrue(a.waitForClose())
        a.finish()
        var served = false
        for _ in 0..<50 where !served {
            let c = try client(server, timeoutMillis: 1000)
            try c.send(get("/again"))
            served = try c.readResponse()?.status == 200
            if !served { usleep(20_000) }
        }
        XCTAssertTrue(served)
    }

    func testShutdownLetsInFlightRequestsFinishAndClosesIdleOnes() throws {
        let server = try startServer(AsyncHandler())
        let idle = try client(server)
        try idle.send(get("/warm"))
        XCTAssertEqual(try idle.readResponse()?.status, 200)
        let busy = try client(server)
        try busy.send(get("/busy", "X-Delay: 300\r\n"))
        usleep(50_000)
        let started = DispatchTime.now().uptimeNanoseconds
        let done = DispatchSemaphore(value: 0)
        let inTime = LockedBox<Bool?>(nil)
        Thread {
            inTime.value = server.shutdown(by: .now + .milliseconds(3000))
            done.signal()
        }.start()

        XCTAssertTrue(idle.waitForClose())
        XCTAssertLessThan(millisSince(started), 200, "idle connection was not closed at once")
        let r = try XCTUnwrap(busy.readResponse())
        XCTAssertEqual(r.text, "GET /busy ")
        XCTAssertEqual(r.header("Connection"), "close")
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(inTime.value, true, "every connection ended before the deadline")
        XCTAssertThrowsError(try client(server))
        XCTAssertTrue(server.shutdown(by: .now), "a second shutdown has nothing left to wait for")
    }

    func testShutdownDeadlineClosesRequestsThatNeverFinish() throws {
        struct Never: HTTPHandler {
            func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {}
        }
        let server = try startServer(Never())
        let c = try client(server)
        try c.send(get("/hang"))
        usleep(50_000)
        let started = DispatchTime.now().uptimeNanoseconds
        XCTAssertFalse(server.shutdown(by: .now + .milliseconds(200)), "the hanging request was cut off")
        XCTAssertGreaterThanOrEqual(millisSince(started), 150)
        XCTAssertLessThan(millisSince(started), 2000)
        XCTAssertTrue(c.waitForClose())
    }

    func testServerIsALifecycleComponent() throws {
        let server = HTTPServer(
            name: "public http", configuration: HTTPServerConfiguration(port: 0), handler: EchoHandler())
        let component: any LifecycleComponent = server
        XCTAssertEqual(component.lifecycleName, "public http")
        try component.start()
        let c = try client(server)
        try c.send(get("/x"))
        XCTAssertEqual(try c.readResponse()?.status, 200)
        XCTAssertTrue(component.shutdown(by: .now + .seconds(2)))
    }

    func testDurationsBecomeLoopMilliseconds() {
        var c = HTTPServerConfiguration(headTimeout: .milliseconds(1500), idleTimeout: .seconds(2), linger: .zero)
        c.writeTimeout = .microseconds(10)  // below the loop's resolution: clamped to 1 ms
        let limits = ConnectionLimits(c.normalized)
        XCTAssertEqual(limits.timeouts, .init(head: 1500, body: 10_000, idle: 2000, write: 1, linger: 0))
        XCTAssertEqual(c.normalized.sweepIntervalMillis, 5)
        XCTAssertEqual(HTTPServerConfiguration().sweepIntervalMillis, 200)
    }

    func testLateAndDuplicateResponsesAreIgnored() throws {
        struct Twice: HTTPHandler {
            func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
                respond(HTTPResponse(status: 200, text: "first \(request.path)"))
                respond(HTTPResponse(status: 500, text: "second"))
                DispatchQueue.global().async { respond(HTTPResponse(status: 500, text: "third")) }
            }
        }
        let server = try startServer(Twice())
        let c = try client(server)
        for i in 0..<5 {
            try c.send(get("/\(i)"))
            XCTAssertEqual(try c.readResponse()?.text, "first /\(i)")
        }
    }

    func testStartErrors() throws {
        let server = try startServer()
        XCTAssertThrowsError(try server.start())
        let taken = HTTPServer(configuration: HTTPServerConfiguration(port: server.port), handler: EchoHandler())
        XCTAssertThrowsError(try taken.start())
        let bad = HTTPServer(configuration: HTTPServerConfiguration(host: "not-an-ip", port: 0), handler: EchoHandler())
        XCTAssertThrowsError(try bad.start())
        bad.shutdown(by: .now + .milliseconds(0))
    }

    func testPeerAddressIsTheClientIP() throws {
        struct Peer: HTTPHandler {
            func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
                respond(HTTPResponse(status: 200, text: request.peerAddress))
            }
        }
        let server = try startServer(Peer())
        let c = try client(server)
        try c.send(get("/"))
        XCTAssertEqual(try c.readResponse()?.text, "127.0.0.1")
    }

    /// Many requests over several connections with an asynchronous handler: none lost, none
    /// out of order (a sanity check, not a benchmark).
    func testManyRequestsSanity() throws {
        let server = try startServer(AsyncHandler()) { $0.eventLoops = 2 }
        let clients = try (0..<8).map { _ in try client(server) }
        for batch in 0..<25 {
            for (i, c) in clients.enumerated() {
                try c.send((0..<8).map { post("/\(i)/\(batch)/\($0)", "b\($0)") }.joined())
            }
            for (i, c) in clients.enumerated() {
                for k in 0..<8 { XCTAssertEqual(try c.readResponse()?.text, "POST /\(i)/\(batch)/\(k) b\(k)") }
            }
        }
    }
}

extension LifecycleTests {
    func testShutdownLetsARequestWhoseBodyIsArrivingComplete() throws {
        let server = try startServer()
        let c = try client(server)
        try c.send("POST /late HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab")
        usleep(50_000)
        let done = DispatchSemaphore(value: 0)
        Thread {
            server.shutdown(by: .now + .milliseconds(3000)); done.signal()
        }.start()
        usleep(100_000)
        try c.send("cd")
        let r = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(r.text, "POST /late abcd")
        XCTAssertEqual(r.header("Connection"), "close")
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
    }
}
