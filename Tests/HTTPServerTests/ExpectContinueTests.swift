import RelayTestSupport
import XCTest

@testable import HTTPServer

final class ExpectContinueTests: ServerTestCase {
    func testContinueThenBody() throws {
        let server = try startServer()
        let c = try client(server)
        try c.send("POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(try c.readResponse()?.status, 100)
        try c.send("hello")
        XCTAssertEqual(try c.readResponse()?.text, "POST /e hello")
        try c.send(get("/after"))
        XCTAssertEqual(try c.readResponse()?.text, "GET /after ")
    }

    func testEarlyAnswerFromHandlerHeadSkipsContinueAndCloses() throws {
        let server = try startServer()
        let c = try client(server)
        try c.send("POST /reject HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        let r = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(r.status, 401)
        XCTAssertEqual(r.header("Connection"), "close")
        XCTAssertTrue(c.waitForClose())
    }

    func testOversizedBodyGets413InsteadOfContinue() throws {
        let server = try startServer { $0.maxBodyBytes = 10 }
        let c = try client(server)
        try c.send("POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(try c.readResponse()?.status, 413)
        XCTAssertTrue(c.waitForClose())
    }

    func testEarlyAnswerWithoutExpectSkipsTheBodyAndKeepsTheConnection() throws {
        let server = try startServer()
        let c = try client(server)
        try c.send(post("/reject", "secret-body") + get("/next"))
        let r = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(r.status, 401)
        XCTAssertEqual(r.header("WWW-Authenticate"), "Basic")
        XCTAssertEqual(try c.readResponse()?.text, "GET /next ")
    }

    func testPipelinedContinueWaitsForEarlierResponses() throws {
        let server = try startServer(AsyncHandler())
        let c = try client(server)
        try c.send(
            get("/first", "X-Delay: 100\r\n")
                + "POST /second HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(try c.readResponse()?.text, "GET /first ")
        XCTAssertEqual(try c.readResponse()?.status, 100)
        try c.send("ok")
        XCTAssertEqual(try c.readResponse()?.text, "POST /second ok")
    }
}
