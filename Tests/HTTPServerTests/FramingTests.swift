import RelayTestSupport
import XCTest

@testable import HTTPServer

/// Every framing rule over a real loopback socket: the status, a body from
/// `HTTPHandler.rejection`, `Connection: close`, and the server closing.
final class FramingTests: ServerTestCase {
    func assertRefused(
        _ server: HTTPServer, _ request: String, status: Int,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let c = try client(server)
        try c.send(request)
        let r = try XCTUnwrap(c.readResponse(), request.debugDescription, file: file, line: line)
        XCTAssertEqual(r.status, status, request.debugDescription, file: file, line: line)
        XCTAssertEqual(r.text, "{\"error\":\"\(status)\"}", file: file, line: line)
        XCTAssertEqual(r.header("Connection"), "close", file: file, line: line)
        XCTAssertTrue(c.waitForClose(), "server kept the connection: \(request.debugDescription)", file: file, line: line)
    }

    func testSmugglingShapesGet400AndClose() throws {
        let server = try startServer()
        let cases = [
            "GET / HTTP/1.1\nHost: a\n\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n folded\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3 3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nBad{Name}: x\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{01}b\r\n\r\n",
            "GET /  HTTP/1.1\r\nHost: a\r\n\r\n",
            "GARBAGE\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
            "GET http://elsewhere/ HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
        ]
        for request in cases { try assertRefused(server, request, status: 400) }
    }

    func testChunkedAndMissingLengthGet411() throws {
        let server = try startServer()
        try assertRefused(server, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", status: 411)
        try assertRefused(server, "POST / HTTP/1.1\r\nHost: a\r\n\r\n", status: 411)
        try assertRefused(server, "PUT / HTTP/1.1\r\nHost: a\r\n\r\n", status: 411)
    }

    func testOtherVersionsGet505() throws {
        let server = try startServer()
        try assertRefused(server, "GET / HTTP/2.0\r\nHost: a\r\n\r\n", status: 505)
        try assertRefused(server, "GET / HTTP/1.2\r\nHost: a\r\n\r\n", status: 505)
    }

    func testHeadLimitsGet431() throws {
        let server = try startServer {
            $0.maxHeadBytes = 2048; $0.maxHeaderCount = 10
        }
        try assertRefused(server, get("/", "X: \(String(repeating: "a", count: 3000))\r\n"), status: 431)
        // Too large even before the head ends.
        try assertRefused(server, "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "a", count: 3000), status: 431)
        try assertRefused(server, get("/", (0..<11).map { "X-\($0): v\r\n" }.joined()), status: 431)
    }

    func testOversizedBodyGets413WithoutBeingRead() throws {
        let server = try startServer { $0.maxBodyBytes = 100 }
        // No body is sent at all: the answer must not wait for it.
        try assertRefused(server, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n", status: 413)
        let c = try client(server)
        try c.send(post("/fits", String(repeating: "b", count: 100)))
        XCTAssertEqual(try c.readResponse()?.status, 200)
    }

    func testUnknownExpectationGets417() throws {
        let server = try startServer()
        try assertRefused(server, post("/", "x", "Expect: teapot\r\n"), status: 417)
    }

    func testApplicationHeadersCannotBreakFraming() throws {
        struct Sneaky: HTTPHandler {
            func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
                respond(
                    HTTPResponse(
                        status: 200,
                        headers: [
                            ("X-Ok", "1"), ("X-Bad", "a\r\nSet-Cookie: x"),
                            ("Content-Length", "999"), ("Transfer-Encoding", "chunked"),
                        ],
                        text: "fine"))
            }
        }
        let server = try startServer(Sneaky())
        let c = try client(server)
        try c.send(get("/") + get("/again"))
        for _ in 0..<2 {
            let r = try XCTUnwrap(c.readResponse())
            XCTAssertEqual(r.text, "fine")
            XCTAssertEqual(r.header("X-Ok"), "1")
            XCTAssertNil(r.header("X-Bad"))
            XCTAssertNil(r.header("Set-Cookie"))
            XCTAssertNil(r.header("Transfer-Encoding"))
            XCTAssertEqual(r.header("Content-Length"), "4")
        }
    }
}
