import RelayTestSupport
import XCTest

@testable import HTTPServer

final class RequestParserTests: XCTestCase {
    let limits = RequestParser.Limits(maxHeadBytes: 1024, maxHeaderCount: 8)

    func parse(_ text: String) -> RequestParser.HeadResult {
        Array(text.utf8).withUnsafeBytes { RequestParser.parseHead($0, limits: limits) }
    }

    func head(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> ParsedHead? {
        if case .head(let h, _) = parse(text) { return h }
        XCTFail("not parsed: \(parse(text))", file: file, line: line)
        return nil
    }

    func assertRejected(_ text: String, _ expected: HTTPRejection? = nil, file: StaticString = #filePath, line: UInt = #line) {
        guard case .rejected(let r) = parse(text) else {
            return XCTFail("accepted: \(text.debugDescription)", file: file, line: line)
        }
        if let expected {
            XCTAssertEqual(r, expected, text.debugDescription, file: file, line: line)
        } else {
            XCTAssertEqual(r.status, 400, text.debugDescription, file: file, line: line)
        }
    }

    func testParsesAHead() throws {
        let text =
            "\r\nPOST /v1/webhooks/otp?x=1&y HTTP/1.1\r\nHost: relay\r\nContent-Length: 12\r\n"
            + "X-Empty:\r\nContent-Type:  application/json \t\r\n\r\nBODY"
        guard case .head(let p, let length) = parse(text) else { return XCTFail() }
        XCTAssertEqual(length, text.utf8.count - 4)
        XCTAssertEqual(p.head.method, "POST")
        XCTAssertEqual(p.head.target, "/v1/webhooks/otp?x=1&y")
        XCTAssertEqual(p.head.path, "/v1/webhooks/otp")
        XCTAssertEqual(p.head.query, "x=1&y")
        XCTAssertEqual(p.head.versionMinor, 1)
        XCTAssertEqual(p.head.contentLength, 12)
        XCTAssertEqual(p.head.headers["content-type"], "application/json")
        XCTAssertEqual(p.head.headers["X-EMPTY"], "")
        XCTAssertEqual(p.head.headers.count, 4)
        XCTAssertTrue(p.head.keepAlive)
        XCTAssertFalse(p.hasTransferEncoding)
        XCTAssertFalse(p.expectContinue)
    }

    func testIncompleteUntilTheBlankLine() {
        for text in ["", "GET / HTTP/1.1", "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r"] {
            guard case .incomplete = parse(text) else { return XCTFail(text.debugDescription) }
        }
    }

    func testConnectionAndExpect() {
        XCTAssertFalse(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n")!.head.keepAlive)
        XCTAssertFalse(head("GET / HTTP/1.0\r\n\r\n")!.head.keepAlive)
        XCTAssertTrue(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")!.head.keepAlive)
        XCTAssertTrue(head("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n\r\n")!.expectContinue)
        XCTAssertTrue(head("POST / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n")!.unsupportedExpectation)
        XCTAssertFalse(head("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n")!.expectContinue)
        XCTAssertTrue(head("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")!.hasTransferEncoding)
        XCTAssertEqual(head("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")!.head.target, "*")
    }

    func testLineEndingsAndFolding() {
        assertRejected("GET / HTTP/1.1\nHost: a\n\n")
        assertRejected("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\n\n")
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\tz\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\n Host: a\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n")
    }

    func testContentLength() {
        XCTAssertEqual(head("POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 0\r\n\r\n")!.head.contentLength, 0)
        XCTAssertEqual(head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  007 \r\n\r\n")!.head.contentLength, 7)
        for value in ["+5", "-5", "5 5", "5a", "", "0x5", "5, 5", "5,5", "1e3", "99999999999999999999", "5\u{0B}"] {
            assertRejected("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\n")
        }
        assertRejected("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n")
        assertRejected("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\n")
    }

    func testFieldSyntax() {
        assertRejected("GET / HTTP/1.1\r\nHost : a\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX(y): z\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\n: z\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{01}b\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{7F}b\r\n\r\n")
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n")
        XCTAssertEqual(head("GET / HTTP/1.1\r\nHost: a\r\nX: caf\u{E9}\tok\r\n\r\n")!.head.headers["x"], "caf\u{E9}\tok")
    }

    func testRequestLine() {
        for line in [
            "GET /", "GET  / HTTP/1.1", "GET / HTTP/1.1 ", "GET / HTTX/1.1", " / HTTP/1.1", "/ HTTP/1.1",
            "G@T / HTTP/1.1", "GET /a b HTTP/1.1", "GET / http/1.1", "GET / HTTP/1", "GET / HTTP/1.10",
            "GET /\u{01} HTTP/1.1", "GET /\u{E9} HTTP/1.1",
        ] {
            assertRejected("\(line)\r\nHost: a\r\n\r\n")
        }
        guard case .incomplete = parse("\r\n\r\n") else { return XCTFail("empty lines are skipped") }
    }

    func testTargetForms() {
        assertRejected("GET http://evil/ HTTP/1.1\r\nHost: a\r\n\r\n")
        assertRejected("CONNECT evil:443 HTTP/1.1\r\nHost: a\r\n\r\n")
        assertRejected("GET * HTTP/1.1\r\nHost: a\r\n\r\n")
        assertRejected("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n")
    }

    func testHost() {
        assertRejected("GET / HTTP/1.1\r\n\r\n", .badRequest(reason: "missing Host"))
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        XCTAssertNotNil(head("GET / HTTP/1.0\r\n\r\n"))
    }

    func testVersions() {
        for v in ["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.1"] {
            assertRejected("GET / \(v)\r\nHost: a\r\n\r\n", .versionNotSupported)
        }
    }

    func testSizeLimits() {
        let nine = (0..<9).map { "X-\($0): v\r\n" }.joined()
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\n\(nine)\r\n", .headersTooLarge)
        let big = String(repeating: "a", count: 1100)
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX: \(big)", .headersTooLarge)
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX: \(big)\r\n\r\n", .headersTooLarge)
    }

    func testIncrementalScanMatchesWholeScan() {
        let text = Array("GET /slow HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n".utf8)
        var from = 0
        var found: Int?
        for n in 1...text.count {
            let r = text.withUnsafeBytes {
                RequestParser.scanHeadEnd(UnsafeRawBufferPointer(rebasing: $0[..<n]), from: &from, limits: limits)
            }
            if case .found(let end) = r { found = end; break }
            XCTAssertEqual(r, .incomplete)
        }
        XCTAssertEqual(found, text.count)
    }

    /// Random and mutated inputs never crash the parser and always get an answer.
    func testTotalOverRandomInput() {
        var rng = SplitMix(seed: 42)
        let seed = Array("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n".utf8)
        let alphabet = Array("\r\n :\t/HTTP1.0GETPOSTContent-Length,\u{0}\u{7F}".utf8) + [0xFF]
        for _ in 0..<3000 {
            var bytes = seed
            for _ in 0..<Int(rng.next() % 6) {
                let i = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[i] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: i)
                default: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: i)
                }
                if bytes.isEmpty { bytes = [13] }
            }
            _ = bytes.withUnsafeBytes { RequestParser.parseHead($0, limits: limits) }
        }
    }
}

extension RequestParserTests {
    func testTokenCharSetMatchesRFC9110() {
        let tchars = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        for c in UInt8.min...UInt8.max {
            XCTAssertEqual(RequestParser.isTokenChar(c), tchars.contains(c), "byte \(c)")
        }
    }
}
