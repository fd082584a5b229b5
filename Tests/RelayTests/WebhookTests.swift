import RelayTestSupport
import XCTest

@testable import Relay

/// The webhook over real HTTP on loopback, against the real server and a real SQLite file.
final class WebhookTests: XCTestCase {
    func testPartnerExampleAcceptedAndNormalized() throws {
        let s = try TestService()
        let r = try s.post(#"{"identifier": "084512340987", "otp": "123456", "channel": "whatsapp"}"#)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.header("Content-Type"), "application/json")
        let id = try XCTUnwrap(r.json?["id"] as? String)
        XCTAssertEqual(r.json?["status"] as? String, "queued")
        XCTAssertEqual(id.count, 26)
        let row = try sqliteQuery(s.db, "SELECT channel, recipient_masked, kind FROM jobs WHERE id = '\(id)'")
        XCTAssertEqual(row, ["whatsapp|+62845****0987|otp"])
    }

    func testEmailAndPhoneEdgeCases() throws {
        let s = try TestService()
        let ok: [(String, String)] = [
            ("+62 845-1234-0987", "sms"), ("(0845) 1234.0987", "whatsapp"), ("6281234567890", "SMS "),
            ("+14155550100", "sms"), ("John.Doe+otp@Example.COM", "email"), ("a@b.co", " Email"),
        ]
        for (i, (ident, ch)) in ok.enumerated() {
            let r = try s.post(WebhookRequest.body(identifier: ident, otp: "12345\(i)", channel: ch))
            XCTAssertEqual(r.status, 200, "\(ident) \(ch): \(r.text)")
        }
        let bad: [(String, String, String)] = [
            ("0845x1234", "sms", "identifier"), ("+1234567", "sms", "identifier"), ("a@b.co", "sms", "identifier"),
            ("084512340987", "email", "identifier"), ("a@b", "email", "identifier"),
            ("a@b.co\\r\\nBcc: evil@x.com", "email", "identifier"), ("<a@b.co>", "email", "identifier"),
            ("084512340987", "fax", "channel"), ("084512340987", "", "channel"),
        ]
        for (ident, ch, field) in bad {
            let r = try s.post(WebhookRequest.body(identifier: ident, otp: "123456", channel: ch))
            XCTAssertEqual(r.status, 400, "\(ident) \(ch)")
            XCTAssertEqual(r.json?["error"] as? String, "invalid_request")
            XCTAssertTrue((r.json?["error_description"] as? String ?? "").contains("\"\(field)\""), r.text)
        }
        XCTAssertEqual(try s.count(), ok.count)
    }

    func testRepeatAnsweredWithFirstIDAndStoredOnce() throws {
        let s = try TestService()
        let body = WebhookRequest.body(identifier: "084512340987", otp: "654321", channel: "whatsapp")
        let first = try s.post(body)
        let second = try s.post(body)
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(second.status, 200)
        XCTAssertEqual(first.json?["id"] as? String, second.json?["id"] as? String)
        // The same OTP in another formatting of the same number is the same job.
        let third = try s.post(WebhookRequest.body(identifier: "+62 845 1234 0987", otp: "654321", channel: "WhatsApp"))
        XCTAssertEqual(third.json?["id"] as? String, first.json?["id"] as? String)
        // A new OTP for the same person is a new job.
        let other = try s.post(WebhookRequest.body(identifier: "084512340987", otp: "111111", channel: "whatsapp"))
        XCTAssertNotEqual(other.json?["id"] as? String, first.json?["id"] as? String)
        XCTAssertEqual(try s.count(), 2)
    }

    func testRepeatAfterWindowIsNewJob() throws {
        let s = try TestService { $0.dedupeWindow = .seconds(1) }
        let body = WebhookRequest.body(identifier: "084512340987", otp: "654321", channel: "sms")
        let a = try s.post(body).json?["id"] as? String
        Thread.sleep(forTimeInterval: 1.2)
        let b = try s.post(body).json?["id"] as? String
        XCTAssertNotNil(a)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(try s.count(), 2)
    }

    func testPerIdentifierRateLimit() throws {
        let s = try TestService { $0.rateLimits.perIdentifierMax = 3 }
        for i in 0..<3 {
            XCTAssertEqual(try s.post(WebhookRequest.body(identifier: "081111111111", otp: "10000\(i)", channel: "sms")).status, 200)
        }
        // A partner retry of an accepted OTP is still answered.
        XCTAssertEqual(try s.post(WebhookRequest.body(identifier: "081111111111", otp: "100001", channel: "sms")).status, 200)
        let limited = try s.post(WebhookRequest.body(identifier: "0811-1111-1111", otp: "100009", channel: "sms"))
        XCTAssertEqual(limited.status, 429)
        XCTAssertEqual(limited.json?["error"] as? String, "rate_limited")
        XCTAssertNotNil(Int(limited.header("Retry-After") ?? ""))
        XCTAssertEqual(try s.post(WebhookRequest.body(identifier: "082222222222", otp: "100009", channel: "sms")).status, 200)
        XCTAssertEqual(try s.count(), 4)
    }

    func testFailedAuthThrottledButValidCredentialsNeverRefused() throws {
        let s = try TestService { $0.rateLimits.failedAuthMax = 5 }
        let body = WebhookRequest.body(identifier: "084512340987", otp: "123456", channel: "sms")
        for _ in 0..<5 {
            let r = try s.post(body, authorization: WebhookRequest.basic("simas-id", "guess"))
            XCTAssertEqual(r.status, 401)
            XCTAssertEqual(r.header("WWW-Authenticate"), "Basic realm=\"otp-relay\", charset=\"UTF-8\"")
            XCTAssertEqual(r.json?["error"] as? String, "unauthorized")
        }
        let throttled = try s.post(body, authorization: WebhookRequest.basic("simas-id", "guess"))
        XCTAssertEqual(throttled.status, 429)
        XCTAssertNotNil(throttled.header("Retry-After"))
        XCTAssertEqual(try s.post(body).status, 200, "valid credentials from a throttled address must pass")
        XCTAssertEqual(try s.count(), 1)
    }

    func testForwardedForOnlyFromTrustedProxy() throws {
        let s = try TestService {
            $0.rateLimits.failedAuthMax = 2; $0.trustedProxies = ["127.0.0.1"]
        }
        let wrong = WebhookRequest.basic("x", "y")
        func attempt(_ xff: String) throws -> Int {
            try s.send(WebhookRequest.post(body: "{}", authorization: wrong, extraHeaders: ["X-Forwarded-For: \(xff)"])).status
        }
        XCTAssertEqual(try attempt("203.0.113.1"), 401)
        XCTAssertEqual(try attempt("203.0.113.1"), 401)
        XCTAssertEqual(try attempt("203.0.113.1"), 429)
        XCTAssertEqual(try attempt("203.0.113.2"), 401, "another client behind the proxy is not throttled")
    }

    func testNoSecretInLogs() throws {
        let s = try TestService()
        _ = try s.post(WebhookRequest.body(identifier: "084512340987", otp: "987654", channel: "whatsapp"))
        _ = try s.post(WebhookRequest.body(identifier: "john.doe@example.com", otp: "876543", channel: "email"))
        _ = try s.post(WebhookRequest.body(identifier: "084512340987", otp: "98765x", channel: "whatsapp"))
        _ = try s.post(
            WebhookRequest.body(identifier: "084512340987", otp: "987654", channel: "sms"),
            authorization: WebhookRequest.basic("simas-id", "wrong-password-123"))
        let logs = s.logLines.all
        XCTAssertFalse(logs.isEmpty)
        for secret in [
            "987654", "876543", "98765x", "084512340987", "6284512340987", "john.doe@example.com",
            TestService.password, "wrong-password-123",
        ] {
            XCTAssertFalse(logs.contains(secret), "log holds \(secret)")
        }
    }
}
