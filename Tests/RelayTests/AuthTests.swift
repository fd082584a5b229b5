import Foundation
import RelayTestSupport
import XCTest

@testable import Relay

final class AuthTests: XCTestCase {
    func testBasicAuthWithRotation() {
        let auth = BasicAuthenticator(credentials: [
            StoredCredential(username: "simas-id", password: "old-password"),
            StoredCredential(username: "simas-id", password: "new-password"),
        ])
        XCTAssertEqual(auth.authenticate(authorizationHeader: WebhookRequest.basic("simas-id", "old-password")), "simas-id")
        XCTAssertEqual(auth.authenticate(authorizationHeader: WebhookRequest.basic("simas-id", "new-password")), "simas-id")
        XCTAssertEqual(
            auth.authenticate(authorizationHeader: "basic " + WebhookRequest.basic("simas-id", "new-password").dropFirst(6)), "simas-id")
        XCTAssertNil(auth.authenticate(authorizationHeader: WebhookRequest.basic("simas-id", "wrong")))
        XCTAssertNil(auth.authenticate(authorizationHeader: WebhookRequest.basic("other", "new-password")))
        XCTAssertNil(auth.authenticate(authorizationHeader: WebhookRequest.basic("simas-id", "new-password ")))
        for bad in [
            nil, "", "Basic", "Basic ", "Bearer abc", "Basic !!!", "Basic " + Data("nocolon".utf8).base64EncodedString(),
            "Basic " + String(repeating: "A", count: 5000),
        ] {
            XCTAssertNil(auth.authenticate(authorizationHeader: bad))
        }
        XCTAssertNil(BasicAuthenticator(credentials: []).authenticate(authorizationHeader: WebhookRequest.basic("", "")))
    }

    /// Accepted header values are remembered by digest; wrong ones never are, a remembered one
    /// does not open the door to a different header, and the memory stays bounded.
    func testAcceptedHeadersAreRememberedAndBounded() {
        let auth = BasicAuthenticator(credentials: [StoredCredential(username: "simas-id", password: "pw")])
        let good = WebhookRequest.basic("simas-id", "pw")
        XCTAssertNil(auth.authenticate(authorizationHeader: WebhookRequest.basic("simas-id", "px")))
        XCTAssertEqual(auth.rememberedHeaders, 0)
        for _ in 0..<3 { XCTAssertEqual(auth.authenticate(authorizationHeader: good), "simas-id") }
        XCTAssertEqual(auth.rememberedHeaders, 1)
        XCTAssertNil(auth.authenticate(authorizationHeader: WebhookRequest.basic("simas-id", "pw2")))
        XCTAssertNil(auth.authenticate(authorizationHeader: good + "x"))
        XCTAssertNil(auth.authenticate(authorizationHeader: String(good.dropLast())))
        // Equivalent spellings (scheme case, surrounding spaces) each pass the full check once.
        let token = good.dropFirst(6)
        let variants = (0..<12).map { i in (i % 2 == 0 ? "Basic " : "basic ") + String(repeating: " ", count: i / 2) + token }
        for v in variants { XCTAssertEqual(auth.authenticate(authorizationHeader: v), "simas-id", v) }
        XCTAssertEqual(auth.rememberedHeaders, 8, "bounded")
        for v in variants { XCTAssertEqual(auth.authenticate(authorizationHeader: v), "simas-id", v) }
        XCTAssertNil(auth.authenticate(authorizationHeader: "Basic " + String(repeating: "A", count: 2000)))
    }

    func testPasswordWithColon() {
        let auth = BasicAuthenticator(credentials: [StoredCredential(username: "u", password: "a:b:c")])
        XCTAssertEqual(auth.authenticate(authorizationHeader: WebhookRequest.basic("u", "a:b:c")), "u")
    }

    func testSlidingWindow() {
        let l = SlidingWindowLimiter<String>(max: 3, window: .seconds(10), maxKeys: 1000)
        for i in 0..<3 { XCTAssertTrue(l.record("k", now: 1000 + Int64(i)).allowed) }
        let denied = l.record("k", now: 2000)
        XCTAssertFalse(denied.allowed)
        XCTAssertEqual(denied.retryAfterSeconds, 9)
        XCTAssertTrue(l.record("other", now: 2000).allowed)
        XCTAssertTrue(l.record("k", now: 11_001).allowed)  // the first event left the window
    }

    func testRepeatedTagIsNotCountedAgain() {
        let l = SlidingWindowLimiter<String>(max: 2, window: .seconds(60), maxKeys: 1000)
        for _ in 0..<10 { XCTAssertTrue(l.record("k", tag: 42, now: 1000).allowed) }
        XCTAssertTrue(l.record("k", tag: 43, now: 1001).allowed)
        XCTAssertFalse(l.record("k", tag: 44, now: 1002).allowed)
        XCTAssertTrue(l.record("k", tag: 43, now: 1003).allowed)  // a retry of an accepted one still passes
    }

    /// The limiter against a plain model (every event kept in arrays, pruned by time), on a
    /// deterministic random stream of keys, tags and times: same decisions, same Retry-After.
    func testLimiterMatchesAReferenceModel() {
        let l = SlidingWindowLimiter<Int>(max: 3, window: .seconds(10), maxKeys: 1_000_000)
        LimiterReferenceModel.assertAgrees(with: l, seed: 7, maxGap: 1_500, keys: 5, tags: 6, untaggedOneIn: 4)
    }

    func testTrackedKeysAreBounded() {
        let l = SlidingWindowLimiter<String>(max: 1, window: .seconds(3600), maxKeys: 1000)
        for i in 0..<10_000 { l.record("key-\(i)", now: 1000 + Int64(i)) }
        XCTAssertLessThanOrEqual(l.trackedKeys, 1000)
    }
}

final class MediaTypeTests: XCTestCase {
    func testJSONMediaTypes() {
        for ok in [
            "application/json", "Application/JSON", "application/json; charset=utf-8", " application/json ;x=y",
            "application/vnd.api+json",
        ] {
            XCTAssertTrue(PublicHandler.isJSON(ok), ok)
        }
        for bad in [
            "text/plain", "application/jsonx", "application/", "json", "application/x-www-form-urlencoded",
            "text/json", "application/+json",
        ] {
            XCTAssertFalse(PublicHandler.isJSON(bad), bad)
        }
    }
}
