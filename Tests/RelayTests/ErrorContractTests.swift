import Outbox
import RelayTestSupport
import XCTest

@testable import Relay

/// Every row of the partner error table, and the HTTP framing rules, over real HTTP.
final class ErrorContractTests: XCTestCase {
    func assertPartnerError(_ r: WireResponse, _ status: Int, _ code: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, status, r.text, file: file, line: line)
        XCTAssertEqual(r.header("Content-Type"), "application/json", file: file, line: line)
        XCTAssertEqual(r.json?["error"] as? String, code, r.text, file: file, line: line)
        XCTAssertFalse((r.json?["error_description"] as? String ?? "").isEmpty, file: file, line: line)
        XCTAssertEqual(r.json?.count, 2, "only error and error_description", file: file, line: line)
    }

    func testInvalidRequest() throws {
        let s = try TestService()
        for body in [
            "not json", "[]", "{}", #"{"identifier": "084512340987", "channel": "sms"}"#,
            #"{"identifier": "084512340987", "otp": 123456, "channel": "sms"}"#,
            #"{"identifier": "084512340987", "otp": "12", "channel": "sms"}"#,
            #"{"identifier": "084512340987", "otp": "12345678901", "channel": "sms"}"#,
            #"{"identifier": "084512340987", "otp": "12 34", "channel": "sms"}"#,
            #"{"identifier": null, "otp": "1234", "channel": "sms"}"#,
        ] {
            let r = try s.post(body)
            assertPartnerError(r, 400, "invalid_request")
            XCTAssertFalse(r.text.contains("12345678901"))
        }
        let r = try s.post(#"{"identifier": "084512340987", "otp": "12", "channel": "sms"}"#)
        XCTAssertTrue((r.json?["error_description"] as? String ?? "").contains("\"otp\""))
        XCTAssertEqual(try s.count(), 0)
    }

    func testUnauthorizedNotFoundMethodMediaType() throws {
        let s = try TestService()
        let body = WebhookRequest.body(identifier: "084512340987", otp: "123456", channel: "sms")
        let noAuth = try s.send(WebhookRequest.post(body: body, authorization: nil))
        assertPartnerError(noAuth, 401, "unauthorized")
        XCTAssertEqual(noAuth.header("WWW-Authenticate"), "Basic realm=\"otp-relay\", charset=\"UTF-8\"")
        assertPartnerError(try s.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"), 404, "not_found")
        let m = try s.send("GET /v1/webhooks/otp HTTP/1.1\r\nHost: x\r\n\r\n")
        assertPartnerError(m, 405, "method_not_allowed")
        XCTAssertEqual(m.header("Allow"), "POST")
        assertPartnerError(
            try s.send(WebhookRequest.post(body: body, authorization: s.auth, contentType: "text/plain")),
            415, "unsupported_media_type")
        XCTAssertEqual(
            try s.send(WebhookRequest.post(body: body, authorization: s.auth, contentType: "application/json; charset=utf-8")).status, 200)
        XCTAssertEqual(try s.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 200)
    }

    func testLengthRequiredAndPayloadTooLarge() throws {
        let s = try TestService()
        let post = "POST /v1/webhooks/otp HTTP/1.1\r\nHost: x\r\nAuthorization: \(s.auth)\r\n"
        try assertRefused(s, post + "Content-Type: application/json\r\n\r\n", 411, "length_required", closes: false)
        try assertRefused(s, post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411, "length_required", closes: true)
        // Over 8 KiB: refused from the head alone, before any body byte is sent.
        try assertRefused(
            s, post + "Content-Type: application/json\r\nContent-Length: 8193\r\n\r\n", 413, "payload_too_large", closes: true)
    }

    /// `request`, sent on a connection of its own, is refused with `status` and `code`; `closes`:
    /// and the server then closes the connection.
    private func assertRefused(
        _ s: TestService, _ request: String, _ status: Int, _ code: String, closes: Bool, line: UInt = #line
    ) throws {
        let c = try s.connect()
        try c.send(request)
        assertPartnerError(try XCTUnwrap(c.readResponse(), line: line), status, code, line: line)
        if closes { XCTAssertTrue(c.waitForClose(), line: line) }
    }

    func testHeadersTooLarge() throws {
        let s = try TestService()
        let big = try s.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 17_000))\r\n\r\n")
        assertPartnerError(big, 431, "request_header_fields_too_large")
        let many = (0..<150).map { "X-H\($0): v" }.joined(separator: "\r\n")
        assertPartnerError(try s.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\(many)\r\n\r\n"), 431, "request_header_fields_too_large")
    }

    func testServiceUnavailableWhenStoreCannotCommit() throws {
        let s = try TestService()
        let ok = try s.post(WebhookRequest.body(identifier: "084512340987", otp: "123456", channel: "sms"))
        XCTAssertEqual(ok.status, 200)
        _ = try (s.service.store as! SQLiteOutbox).setMaxPageCount(try pageCount(s.db))
        var ids: [String] = []
        var unavailable = 0
        for i in 0..<300 {
            let r = try s.post(
                WebhookRequest.body(identifier: "0812\(String(format: "%08d", i))", otp: "55\(String(format: "%04d", i))", channel: "sms"))
            if r.status == 200 {
                ids.append(r.json?["id"] as! String)
            } else {
                assertPartnerError(r, 503, "service_unavailable")
                XCTAssertNotNil(r.header("Retry-After"))
                unavailable += 1
            }
        }
        XCTAssertGreaterThan(unavailable, 0, "the full store must refuse")
        // Every 200 has its row; nothing refused was stored.
        XCTAssertEqual(try s.count(), 1 + ids.count)
        for id in ids { XCTAssertEqual(try s.count("id = '\(id)'"), 1) }
        // Space returns: the service recovers by itself.
        _ = try (s.service.store as! SQLiteOutbox).setMaxPageCount(1_000_000)
        XCTAssertEqual(try s.post(WebhookRequest.body(identifier: "089999999999", otp: "123456", channel: "sms")).status, 200)
    }

    func pageCount(_ db: String) throws -> Int { Int(try sqliteQuery(db, "PRAGMA page_count").first ?? "0") ?? 0 }

    func testSmugglingAndMalformedFraming() throws {
        let s = try TestService()
        let body = WebhookRequest.body(identifier: "084512340987", otp: "123456", channel: "sms")
        let head = "POST /v1/webhooks/otp HTTP/1.1\r\nHost: x\r\nAuthorization: \(s.auth)\r\nContent-Type: application/json\r\n"
        let vectors = [
            head + "Content-Length: \(body.utf8.count)\r\nTransfer-Encoding: chunked\r\n\r\n" + body,
            head + "Transfer-Encoding: chunked\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body,
            head + "Content-Length: \(body.utf8.count)\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body,
            head + "Content-Length: \(body.utf8.count), \(body.utf8.count)\r\n\r\n" + body,
            head + "Content-Length: +\(body.utf8.count)\r\n\r\n" + body,
            head + "Content-Length: 0x10\r\n\r\n" + body,
            head + "Content-Length : \(body.utf8.count)\r\n\r\n" + body,
            head + "X-Folded: a\r\n b\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body,
            head.replacingOccurrences(of: "\r\n", with: "\n") + "Content-Length: \(body.utf8.count)\n\n" + body,
            "POST /v1/webhooks/otp HTTP/1.1\r\nHost: x\nContent-Length: 2\r\n\r\n{}",
            "POST /v1/webhooks/otp HTTP/1.1\r\nHost: x\r\nX-Bad: a\u{1}b\r\nContent-Length: 2\r\n\r\n{}",
            "POST  /v1/webhooks/otp HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /healthz HTTP/1.1\r\n\r\n",
        ]
        for (i, v) in vectors.enumerated() {
            let c = try s.connect()
            try c.send(v)
            let r = try XCTUnwrap(c.readResponse(), "vector \(i)")
            XCTAssertEqual(r.status, 400, "vector \(i): \(r.text)")
            XCTAssertEqual(r.json?["error"] as? String, "invalid_request", "vector \(i)")
            XCTAssertTrue(c.waitForClose(), "vector \(i) must close")
        }
        XCTAssertEqual(try s.count(), 0, "no smuggled request may be stored")
    }

    func testKeepAlivePipeliningAndContinue() throws {
        let s = try TestService()
        let c = try s.connect()
        let reqs = (0..<3).map {
            WebhookRequest.post(
                body: WebhookRequest.body(identifier: "08123456789\($0)", otp: "12345\($0)", channel: "sms"), authorization: s.auth)
        }
        try c.send(reqs.joined() + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        var ids: [String] = []
        for _ in 0..<3 {
            let r = try XCTUnwrap(c.readResponse())
            XCTAssertEqual(r.status, 200)
            ids.append(r.json?["id"] as! String)
        }
        XCTAssertEqual(try XCTUnwrap(c.readResponse()).status, 404)
        XCTAssertEqual(ids, ids.sorted(), "answers in request order")
        // Expect: 100-continue is answered only for an acceptable head.
        let body = WebhookRequest.body(identifier: "081299998888", otp: "4321", channel: "sms")
        try c.send(
            "POST /v1/webhooks/otp HTTP/1.1\r\nHost: x\r\nAuthorization: \(s.auth)\r\nContent-Type: application/json\r\nExpect: "
                + "100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        )
        XCTAssertEqual(try XCTUnwrap(c.readResponse()).status, 100)
        try c.send(body)
        XCTAssertEqual(try XCTUnwrap(c.readResponse()).status, 200)
        let c2 = try s.connect()
        try c2.send(
            "POST /v1/webhooks/otp HTTP/1.1\r\nHost: x\r\nAuthorization: Basic eDp5\r\nExpect: 100-continue\r\nContent-Length: "
                + "\(body.utf8.count)\r\n\r\n"
        )
        XCTAssertEqual(try XCTUnwrap(c2.readResponse()).status, 401)
    }

    func testSlowClientCannotHoldTheServer() throws {
        let s = try TestService {
            $0.http.headTimeout = .milliseconds(2000); $0.http.idleTimeout = .milliseconds(3000)
        }
        var slow: [RawConnection] = []
        for _ in 0..<50 {
            let c = try s.connect()
            try c.send("POST /v1/webhooks/otp HTTP/1.1\r\nHost: x\r\n")  // and never the rest
            slow.append(c)
        }
        let start = Date()
        XCTAssertEqual(try s.post(WebhookRequest.body(identifier: "084512340987", otp: "123456", channel: "sms")).status, 200)
        // Answered before any slow client's deadline: the slow ones do not hold the server.
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.5, "others are served while slow clients dribble")
        for c in slow { XCTAssertTrue(c.waitForClose(), "slow client closed after the head deadline") }
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 1.5, "closed by the deadline, not at once")
    }
}
