import Foundation
import RelayTestSupport
import Synchronization
import XCTest

@testable import Transport

final class HTTPClientTests: XCTestCase {
    var fake: FakeProcess!
    var base: String { "http://127.0.0.1:\(fake.port)" }

    override func setUpWithError() throws {
        fake = try FakeProcess(script: "fake_http.py")
    }

    override func tearDown() {
        fake?.stop()
        fake = nil
    }

    private func json(_ r: HTTPClientResponse) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(r.body)) as! [String: Any]
    }

    private func header(_ echo: [String: Any], _ name: String) -> String? {
        let pairs = echo["headers"] as! [[String]]
        return pairs.first { $0[0].lowercased() == name.lowercased() }?[1]
    }

    func testStatusHeadersAndBody() throws {
        let client = HTTPClient()
        let r = try client.perform(HTTPClientRequest(url: base + "/status/503"))
        XCTAssertEqual(r.status, 503)
        XCTAssertEqual(r.header("x-test"), "yes")
        XCTAssertEqual(r.header("Retry-After"), "7")
        XCTAssertEqual(r.bodyText, "status 503")
        XCTAssertFalse(r.isSuccess)
        XCTAssertGreaterThanOrEqual(r.durationMillis, 0)
    }

    func testPostBodyAndHeaders() throws {
        let client = HTTPClient()
        let body = Array("{\"a\":\"ü\"}".utf8)
        let r = try client.perform(
            HTTPClientRequest(
                method: "POST", url: base + "/echo?x=1",
                headers: [("Content-Type", "application/json"), ("X-Custom", "v 1")], body: body))
        XCTAssertEqual(r.status, 200)
        let echo = try json(r)
        XCTAssertEqual(echo["method"] as? String, "POST")
        XCTAssertEqual(echo["path"] as? String, "/echo?x=1")
        XCTAssertEqual(echo["body"] as? String, "{\"a\":\"ü\"}")
        XCTAssertEqual(header(echo, "content-type"), "application/json")
        XCTAssertEqual(header(echo, "x-custom"), "v 1")
        XCTAssertEqual(header(echo, "content-length"), String(body.count))
        XCTAssertNil(header(echo, "expect"))
        XCTAssertEqual(header(echo, "user-agent"), HTTPClientConfiguration.defaultUserAgent)
    }

    func testLargePostHasNoExpectContinue() throws {
        let client = HTTPClient()
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 5000)
        let r = try client.perform(HTTPClientRequest(method: "PUT", url: base + "/echo", body: body))
        let echo = try json(r)
        XCTAssertEqual(echo["method"] as? String, "PUT")
        XCTAssertEqual((echo["body"] as? String)?.count, 5000)
        XCTAssertNil(header(echo, "expect"))
    }

    func testEmptyPost() throws {
        let r = try HTTPClient().perform(HTTPClientRequest(method: "POST", url: base + "/echo"))
        let echo = try json(r)
        XCTAssertEqual(echo["body"] as? String, "")
        XCTAssertEqual(header(echo, "content-length"), "0")
    }

    func testBasicAuthHeader() throws {
        let client = HTTPClient()
        let r = try client.perform(
            HTTPClientRequest(
                url: base + "/echo", basicAuth: .init(user: "AC123", password: "s3cret:x")))
        let expected = "Basic " + Data("AC123:s3cret:x".utf8).base64EncodedString()
        XCTAssertEqual(header(try json(r), "authorization"), expected)
        XCTAssertFalse(String(describing: HTTPClientRequest.BasicAuth(user: "u", password: "pw")).contains("pw"))
    }

    func testConnectionReuse() throws {
        let client = HTTPClient()
        let a = try json(client.perform(HTTPClientRequest(url: base + "/echo")))
        let b = try json(client.perform(HTTPClientRequest(method: "POST", url: base + "/echo", body: [1, 2])))
        let c = try json(client.perform(HTTPClientRequest(url: base + "/echo")))
        XCTAssertEqual(a["client_port"] as? Int, b["client_port"] as? Int)
        XCTAssertEqual(b["client_port"] as? Int, c["client_port"] as? Int)
    }

    func testOneClientPerThread() throws {
        let url = base + "/echo"
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let client = HTTPClient()
            var ports = Set<Int>()
            for _ in 0..<20 {
                guard let r = try? client.perform(HTTPClientRequest(method: "POST", url: url, body: [1])), r.status == 200,
                    let echo = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
                    let port = echo["client_port"] as? Int
                else { failures.add(); continue }
                ports.insert(port)
            }
            if ports.count != 1 { failures.add() }  // each thread keeps its one connection
        }
        XCTAssertEqual(failures.count, 0)
    }

    func testRedirectIsNotFollowed() throws {
        let r = try HTTPClient().perform(HTTPClientRequest(url: base + "/redirect"))
        XCTAssertEqual(r.status, 302)
        XCTAssertEqual(r.header("Location"), "/echo")
    }

    func testConnectRefused() throws {
        let port = try freeLoopbackPort()
        XCTAssertThrowsError(try HTTPClient().perform(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"))) { e in
            XCTAssertEqual((e as? TransportError)?.kind, .connect)
        }
    }

    func testSlowServerTimesOut() throws {
        let client = HTTPClient(configuration: .init(totalTimeoutMillis: 300))
        let start = Date()
        XCTAssertThrowsError(try client.perform(HTTPClientRequest(url: base + "/slow?ms=3000"))) { e in
            XCTAssertEqual((e as? TransportError)?.kind, .timeout)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.5)
        // The per-request override wins over the configuration.
        let r = try client.perform(HTTPClientRequest(url: base + "/slow?ms=400", totalTimeoutMillis: 3000))
        XCTAssertEqual(r.status, 200)
    }

    func testOversizedResponse() throws {
        let client = HTTPClient(configuration: .init(maxResponseBytes: 1000))
        XCTAssertEqual(try client.perform(HTTPClientRequest(url: base + "/big?bytes=1000")).body.count, 1000)
        for url in [base + "/big?bytes=5000", base + "/big?bytes=100000&chunked=1"] {
            XCTAssertThrowsError(try client.perform(HTTPClientRequest(url: url)), url) { e in
                XCTAssertEqual((e as? TransportError)?.kind, .tooLarge, url)
            }
        }
        // The client still works after an aborted transfer.
        XCTAssertEqual(try client.perform(HTTPClientRequest(url: base + "/status/204")).status, 204)
    }

    func testSchemePolicy() throws {
        let client = HTTPClient()
        for url in [
            "http://example.com/", "http://10.0.0.1/x", "http://127.0.0.2/", "ftp://127.0.0.1/",
            "file:///etc/passwd", "gopher://127.0.0.1/",
        ] {
            XCTAssertThrowsError(try client.perform(HTTPClientRequest(url: url)), url) { e in
                XCTAssertEqual((e as? TransportError)?.kind, .protocolNotAllowed, url)
            }
        }
        let strict = HTTPClient(configuration: .init(allowPlainHTTPToLoopback: false))
        XCTAssertThrowsError(try strict.perform(HTTPClientRequest(url: base + "/echo"))) { e in
            XCTAssertEqual((e as? TransportError)?.kind, .protocolNotAllowed)
        }
        for url in ["not a url", "https://user:pw@example.com/", "/relative"] {
            XCTAssertThrowsError(try client.perform(HTTPClientRequest(url: url)), url) { e in
                XCTAssertEqual((e as? TransportError)?.kind, .invalidRequest, url)
                XCTAssertFalse(String(describing: e).contains("pw"))
            }
        }
        XCTAssertEqual(try client.perform(HTTPClientRequest(url: "http://localhost:\(fake.port)/echo")).status, 200)
    }

    func testTLSToPlainServerFails() throws {
        XCTAssertThrowsError(try HTTPClient().perform(HTTPClientRequest(url: "https://127.0.0.1:\(fake.port)/echo"))) { e in
            XCTAssertEqual((e as? TransportError)?.kind, .tls)
        }
    }

    func testHeaderInjectionRejected() throws {
        let client = HTTPClient()
        for h in [("X-A", "v\r\nX-B: injected"), ("X A", "v"), ("", "v"), ("X-A", "v\n")] {
            XCTAssertThrowsError(try client.perform(HTTPClientRequest(url: base + "/echo", headers: [h]))) { e in
                XCTAssertEqual((e as? TransportError)?.kind, .invalidRequest)
            }
        }
        XCTAssertThrowsError(try client.perform(HTTPClientRequest(method: "GE T", url: base + "/echo")))
    }

    func testIPv6Loopback() throws {
        guard let v6 = try? FakeProcess(script: "fake_http.py", arguments: ["::1"]) else {
            throw XCTSkip("no IPv6 loopback")
        }
        defer { v6.stop() }
        let r = try HTTPClient().perform(HTTPClientRequest(url: "http://[::1]:\(v6.port)/echo"))
        XCTAssertEqual(r.status, 200)
    }
}

final class Failures: Sendable {
    private let n = Mutex(0)
    func add() { n.withLock { $0 += 1 } }
    var count: Int { n.withLock { $0 } }
}
