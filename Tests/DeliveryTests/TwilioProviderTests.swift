import Foundation
import RelayCore
import RelayTestSupport
import Transport
import XCTest

@testable import Delivery

/// The Twilio provider against a loopback fake that speaks Twilio's request and response shapes.
final class TwilioProviderTests: XCTestCase {
    var dir: TempDirectory!
    var fake: FakeProcess!
    var out: String { dir.file("twilio.jsonl") }
    let account = "AC0123456789abcdef0123456789abcdef"
    let clock = ManualClock(1_800_000_000_000)

    override func setUpWithError() throws {
        dir = TempDirectory("otp-relay-delivery")
        fake = try FakeProcess(
            script: "fake_twilio.py",
            arguments: ["--out", out, "--account", account, "--user", account, "--password", "tok-secret"])
    }

    override func tearDown() { fake?.stop() }

    private func provider(_ edit: (inout TwilioConfig) -> Void = { _ in }) -> TwilioProvider {
        var c = TwilioConfig(
            baseURL: "http://127.0.0.1:\(fake.port)", accountSID: account,
            credentials: .authToken("tok-secret"), smsFrom: "+15005550006",
            whatsAppFrom: "+14155238886", clock: clock)
        edit(&c)
        return TwilioProvider(config: c)
    }

    private func message(_ channel: Channel, to: String = "+6284512340987") -> OutgoingMessage {
        MessageTemplates().render(
            jobID: "01JOBTWILIO000000000000000", channel: channel, recipient: to, otp: "493817",
            validityMinutes: 5, appName: "Nanovest & Co")
    }

    private func lastRequest() throws -> [String: Any] { try XCTUnwrap(readJSONLines(out).last) }

    private func form(_ rec: [String: Any]) -> [String] { (rec["form"] as! [[String]]).map { "\($0[0])=\($0[1])" } }

    func testSMSRequestShape() throws {
        let m = message(.sms)
        let outcome = provider().send(m)
        guard case .sent(let sid?, 201) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertTrue(sid.hasPrefix("SM"))
        let rec = try lastRequest()
        XCTAssertEqual(rec["method"] as? String, "POST")
        XCTAssertEqual(rec["path"] as? String, "/2010-04-01/Accounts/\(account)/Messages.json")
        let h = rec["headers"] as! [String: String]
        XCTAssertEqual(h["content-type"], "application/x-www-form-urlencoded")
        XCTAssertEqual(h["authorization"], "Basic " + Data("\(account):tok-secret".utf8).base64EncodedString())
        XCTAssertEqual(form(rec), ["To=+6284512340987", "From=+15005550006", "Body=\(m.text)"])
        XCTAssertTrue((rec["body"] as! String).contains("Nanovest+%26+Co"))
    }

    func testWhatsAppContentTemplate() throws {
        let p = provider {
            $0.whatsAppContentSID = "HX0123456789abcdef0123456789abcdef"
            $0.whatsAppContentVariables = ["1": "{otp}", "2": "{minutes}"]
        }
        XCTAssertEqual(p.send(message(.whatsapp)).name, "sent")
        let rec = try lastRequest()
        XCTAssertEqual(
            form(rec),
            [
                "To=whatsapp:+6284512340987", "From=whatsapp:+14155238886",
                "ContentSid=HX0123456789abcdef0123456789abcdef", "ContentVariables={\"1\":\"493817\",\"2\":\"5\"}",
            ])
    }

    func testMessagingServiceAndAPIKey() throws {
        // The fake accepts only the account SID as user, so an API key is refused with 20003:
        // the request still shows the key SID as the Basic user.
        let p = provider {
            $0.messagingServiceSID = "MG0123456789abcdef0123456789abcdef"
            $0.credentials = .apiKey(sid: "SK0123", secret: "key-secret")
        }
        let outcome = p.send(message(.sms))
        XCTAssertEqual(outcome, .permanent(reason: "twilio 20003: authentication failed", status: 401))
        let rec = try lastRequest()
        XCTAssertEqual(
            (rec["headers"] as! [String: String])["authorization"],
            "Basic " + Data("SK0123:key-secret".utf8).base64EncodedString())
        XCTAssertEqual(form(rec)[1], "MessagingServiceSid=MG0123456789abcdef0123456789abcdef")
    }

    func testErrorCodeClassification() {
        let p = provider()
        let cases: [(String, String, Int, Channel)] = [
            ("21211", "permanent", 400, .sms),
            ("21614", "permanent", 400, .sms),
            ("21610", "permanent", 400, .sms),
            ("21408", "next_route", 400, .sms),
            ("21612", "next_route", 400, .sms),
            ("63003", "next_route", 400, .whatsapp),
            ("63024", "next_route", 400, .whatsapp),
            ("63016", "next_route", 400, .whatsapp),  // the same template will not pass later
            ("63018", "retryable", 429, .whatsapp),
            ("20429", "retryable", 429, .sms),
            ("20003", "permanent", 401, .sms),  // a provider failure by its status (OutcomeJudgement)
            ("20404", "provider_failure", 404, .sms),  // account or sender side: the next rung, breaker
            ("21606", "provider_failure", 400, .sms),
            ("21659", "provider_failure", 400, .sms),
            ("63007", "provider_failure", 400, .whatsapp),
            ("63038", "provider_failure", 400, .whatsapp),
            ("99999", "permanent", 400, .sms),  // unknown 4xx code
        ]
        for (code, expected, status, channel) in cases {
            let outcome = p.send(message(channel, to: "+62812000" + code))
            XCTAssertEqual(outcome.name, expected, code)
            XCTAssertEqual(outcome.status, status, code)
            XCTAssertTrue((outcome.reason ?? "").hasPrefix("twilio \(code)"), outcome.reason ?? "")
            XCTAssertFalse((outcome.reason ?? "").contains("+62812000"), "the reason never echoes the number")
            if status == 429 { XCTAssertEqual(outcome.retryAfterMillis, 3000, code) }
        }
    }

    func testServerErrorWithoutJSONHonoursRetryAfter() {
        let outcome = provider().send(message(.sms, to: "+628120005030"))
        XCTAssertEqual(outcome, .retryable(reason: "twilio HTTP 503", retryAfterMillis: 2000, status: 503))
    }

    func testWrongPathIsAProviderFailure() {
        let outcome = provider { $0.accountSID = "ACwrong" }.send(message(.sms))
        XCTAssertEqual(outcome.name, "provider_failure", "20404: our account SID or URL, not the recipient")
        XCTAssertEqual(outcome.status, 404)
    }

    func testTransportFailureIsRetryable() {
        let p = provider()
        fake.stop()
        XCTAssertEqual(p.send(message(.sms)).name, "retryable")
    }

    func testChannelNotConfigured() {
        XCTAssertEqual(provider { $0.channels = [.sms] }.send(message(.whatsapp)).name, "permanent")
        XCTAssertEqual(readJSONLines(out).count, 0)
    }
}
