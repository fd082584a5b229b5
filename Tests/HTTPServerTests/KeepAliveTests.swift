import Dispatch
import RelayTestSupport
import XCTest

@testable import HTTPServer

final class KeepAliveTests: ServerTestCase {
    func testKeepAliveIsTheHTTP11Default() throws {
        let server = try startServer()
        let c = try client(server)
        for i in 0..<3 {
            try c.send(get("/k\(i)"))
            let r = try XCTUnwrap(c.readResponse())
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.text, "GET /k\(i) ")
            XCTAssertNil(r.header("Connection"))
            XCTAssertNotNil(r.header("Date"))
        }
        try c.send(post("/p", "hello"))
        XCTAssertEqual(try c.readResponse()?.text, "POST /p hello")
    }

    func testConnectionCloseIsHonoured() throws {
        let server = try startServer()
        let c = try client(server)
        try c.send(get("/a", "Connection: close\r\n"))
        let r = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.header("Connection"), "close")
        XCTAssertTrue(c.waitForClose())
    }

    func testHTTP10ClosesUnlessKeepAlive() throws {
        let server = try startServer()
        let c = try client(server)
        try c.send("GET /old HTTP/1.0\r\n\r\n")
        XCTAssertEqual(try c.readResponse()?.header("Connection"), "close")
        XCTAssertTrue(c.waitForClose())

        let k = try client(server)
        try k.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(try k.readResponse()?.header("Connection"), "keep-alive")
        try k.send("GET /b HTTP/1.0\r\n\r\n")
        XCTAssertEqual(try k.readResponse()?.text, "GET /b ")
        XCTAssertTrue(k.waitForClose())
    }

    func testPipelinedRequestsAreAnsweredInOrderWhenHandlerRespondsOutOfOrder() throws {
        let server = try startServer(AsyncHandler())
        let c = try client(server)
        // Earlier requests respond later, from another thread.
        let delays = [120, 80, 0, 40, 0, 10]
        try c.send(
            delays.enumerated().map { get("/r\($0.offset)", "X-Delay: \($0.element)\r\n") }.joined()
                + post("/last", "body"))
        for i in 0..<delays.count {
            XCTAssertEqual(try c.readResponse()?.text, "GET /r\(i) ")
        }
        XCTAssertEqual(try c.readResponse()?.text, "POST /last body")
    }

    func testPipelineDeeperThanTheLimitStillCompletes() throws {
        let server = try startServer(AsyncHandler()) { $0.maxPipelinedRequests = 2 }
        let c = try client(server)
        try c.send((0..<20).map { get("/p\($0)", "X-Delay: \($0 % 3)\r\n") }.joined())
        for i in 0..<20 {
            XCTAssertEqual(try c.readResponse()?.text, "GET /p\(i) ")
        }
    }

    func testHalfClosedPeerGetsEveryAnswerThenEOF() throws {
        let server = try startServer(AsyncHandler()) { $0.maxPipelinedRequests = 2 }
        let c = try client(server)
        try c.send((0..<6).map { get("/h\($0)", "X-Delay: 20\r\n") }.joined())
        c.finish()
        for i in 0..<6 {
            XCTAssertEqual(try c.readResponse()?.text, "GET /h\(i) ")
        }
        XCTAssertTrue(c.waitForClose())
    }

    func testHeadResponseHasLengthButNoBody() throws {
        let server = try startServer()
        let c = try client(server)
        try c.send("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n" + get("/next"))
        let head = try XCTUnwrap(c.readResponse(bodyless: true))
        XCTAssertEqual(head.header("Content-Length"), "8")
        XCTAssertEqual(try c.readResponse()?.text, "GET /next ")
    }

    func testIPv6Loopback() throws {
        let server: HTTPServer
        do {
            server = try startServer { $0.host = "::1" }
        } catch {
            throw XCTSkip("no IPv6 loopback here: \(error)")
        }
        let c = try client(server)
        try c.send(get("/six"))
        XCTAssertEqual(try c.readResponse()?.text, "GET /six ")
    }

    func testSeveralLoopsServeManyConnections() throws {
        let server = try startServer(AsyncHandler()) { $0.eventLoops = 3 }
        let clients = try (0..<9).map { _ in try client(server) }
        for round in 0..<20 {
            for (i, c) in clients.enumerated() { try c.send(get("/c\(i)/\(round)")) }
            for (i, c) in clients.enumerated() { XCTAssertEqual(try c.readResponse()?.text, "GET /c\(i)/\(round) ") }
        }
    }
}
