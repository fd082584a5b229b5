import HTTPServer
import RelayTestSupport
import XCTest

@testable import Relay

/// `X-Forwarded-For` is read across every header line, right to left through trusted hops.
final class ForwardedForTests: XCTestCase {
    private func head(peer: String, _ lines: [String]) -> HTTPRequestHead {
        HTTPRequestHead(
            method: "POST", target: "/", headers: HTTPHeaders(lines.map { (name: "X-Forwarded-For", value: $0) }),
            peerAddress: peer)
    }

    func testEveryLineIsOneListReadFromTheRight() {
        let a = ClientAddress(trustedProxies: ["127.0.0.1", "10.0.0.2"])
        // The client's own line first, the proxy's appended line last: the proxy's wins.
        XCTAssertEqual(a.resolve(head(peer: "127.0.0.1", ["198.51.100.7", "203.0.113.9"])), "203.0.113.9")
        XCTAssertEqual(a.resolve(head(peer: "127.0.0.1", ["198.51.100.7, 198.51.100.8", "203.0.113.9"])), "203.0.113.9")
        // Trusted hops are skipped, whichever line they are on.
        XCTAssertEqual(a.resolve(head(peer: "127.0.0.1", ["198.51.100.7", "203.0.113.9", "10.0.0.2"])), "203.0.113.9")
        XCTAssertEqual(a.resolve(head(peer: "127.0.0.1", ["198.51.100.7, 203.0.113.9 ,\t10.0.0.2"])), "203.0.113.9")
        XCTAssertEqual(a.resolve(head(peer: "127.0.0.1", ["198.51.100.7", "203.0.113.9, ", " , 10.0.0.2"])), "203.0.113.9")
        // Nothing untrusted, no header, an untrusted peer, an over-long hop: the peer.
        XCTAssertEqual(a.resolve(head(peer: "127.0.0.1", ["10.0.0.2", "127.0.0.1"])), "127.0.0.1")
        XCTAssertEqual(a.resolve(head(peer: "127.0.0.1", [])), "127.0.0.1")
        XCTAssertEqual(a.resolve(head(peer: "192.0.2.1", ["198.51.100.7", "203.0.113.9"])), "192.0.2.1")
        XCTAssertEqual(a.resolve(head(peer: "127.0.0.1", ["198.51.100.7", String(repeating: "9", count: 65)])), "127.0.0.1")
    }

    /// Over real HTTP: a client behind a proxy that appends its own line cannot pick its address
    /// (a new first line on every attempt) to escape failed-auth throttling.
    func testAppendedProxyLineIsWhatThrottles() throws {
        let s = try TestService {
            $0.rateLimits.failedAuthMax = 3
            $0.trustedProxies = ["127.0.0.1"]
        }
        let wrong = WebhookRequest.basic("simas-id", "guess")
        let c = try s.connect()
        var statuses: [Int] = []
        for i in 0..<6 {
            try c.send(
                WebhookRequest.post(
                    body: "{}", authorization: wrong,
                    extraHeaders: ["X-Forwarded-For: 198.51.100.\(i)", "X-Forwarded-For: 203.0.113.9"]))
            statuses.append(try XCTUnwrap(c.readResponse()).status)
        }
        XCTAssertEqual(statuses, [401, 401, 401, 429, 429, 429])
        XCTAssertTrue(s.logLines.all.contains("\"client\":\"203.0.113.9\""))
        XCTAssertFalse(s.logLines.all.contains("198.51.100."), "the client's own line is never taken")
        // Another client behind the same proxy is not throttled.
        let other = try s.send(
            WebhookRequest.post(
                body: "{}", authorization: wrong, extraHeaders: ["X-Forwarded-For: 203.0.113.9", "X-Forwarded-For: 203.0.113.10"]))
        XCTAssertEqual(other.status, 401)
    }
}
