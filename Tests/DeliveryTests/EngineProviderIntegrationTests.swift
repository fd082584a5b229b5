import Foundation
import Outbox
import RelayCore
import RelayTestSupport
import XCTest

@testable import Delivery

/// The pool with real providers, configured from JSON, against the loopback Meta and Twilio
/// fakes: fallback from WhatsApp to SMS on "not on WhatsApp", and a 503 with `Retry-After`.
final class EngineProviderIntegrationTests: XCTestCase {
    func testMetaNotOnWhatsAppFallsBackToTwilioSMSAndRetryAfterIsHonoured() throws {
        let h = try EngineHarness()
        let account = "AC0123456789abcdef0123456789abcdef"
        let metaOut = h.dir.file("meta.jsonl"), twilioOut = h.dir.file("twilio.jsonl")
        let meta = try FakeProcess(
            script: "fake_meta.py",
            arguments: [
                "--out", metaOut, "--version", "v21.0",
                "--phone-id", "1065", "--token", "EAAG-token",
            ])
        let twilio = try FakeProcess(
            script: "fake_twilio.py",
            arguments: [
                "--out", twilioOut, "--account", account,
                "--user", account, "--password", "tok",
            ])
        defer { meta.stop(); twilio.stop() }
        let section: [String: Any] = [
            "providers": [
                "meta": [
                    "kind": "meta_whatsapp", "base_url": "http://127.0.0.1:\(meta.port)", "phone_number_id": "1065",
                    "access_token": "EAAG-token", "template_name": "otp_login",
                ],
                "twilio": [
                    "kind": "twilio", "base_url": "http://127.0.0.1:\(twilio.port)", "account_sid": account,
                    "auth_token": "tok", "sms_from": "+15005550006", "whatsapp_from": "+14155238886",
                ],
            ],
            "routes": ["whatsapp": ["meta"], "sms": ["twilio"]],
            "fallback": ["whatsapp": "sms"],
            "retry": ["base_delay_ms": 100, "max_delay_ms": 100],
            "workers": 2, "app_name": "Nanovest",
        ]
        var config = try DeliveryConfiguration.parse(section, sandboxFile: h.dir.file("unused.jsonl"), clock: h.clock)
        config.maxIdle = .seconds(3_600)
        h.start(config)

        let notOnWhatsApp = try h.enqueue(channel: .whatsapp, to: "+62812000131026", otp: "604812")
        XCTAssertEqual(h.events.finished(notOnWhatsApp, count: 2), [.nextRoute(step: 1, runAt: engineStart), .sent])
        let attempts = try h.outbox.attempts(jobID: notOnWhatsApp)
        XCTAssertEqual(attempts.map(\.provider), ["meta", "twilio"])
        XCTAssertEqual(attempts.map(\.channel), ["whatsapp", "sms"])
        XCTAssertEqual(attempts.map(\.outcome), [.nextRoute, .sent])
        guard attempts.count == 2 else { return }
        XCTAssertEqual(attempts[0].httpStatus, 400)
        XCTAssertEqual(attempts[0].errorClass, "meta 131026")
        XCTAssertEqual(attempts[1].httpStatus, 201)
        XCTAssertTrue(attempts[1].providerMessageID?.hasPrefix("SM") == true)
        let sms = try XCTUnwrap(readJSONLines(twilioOut).last?["form"] as? [[String]])
        XCTAssertEqual(sms.first, ["To", "+62812000131026"])
        XCTAssertEqual(
            sms.last, ["Body", "604812 adalah kode OTP Nanovest Anda. Berlaku 5 menit. JANGAN berikan kode ini kepada siapa pun."])
        XCTAssertFalse(
            attempts.contains { ($0.errorMessage ?? "").contains("131026") && ($0.errorMessage ?? "").contains("+62") },
            "the provider's text, which echoes the number, is not stored")

        let busy = try h.enqueue(channel: .sms, to: "+628120005030")
        XCTAssertEqual(h.events.finished(busy), [.retry(runAt: engineStart + 2_000)], "Retry-After: 2 beats a 100 ms backoff")
        XCTAssertEqual(try h.outbox.attempts(jobID: busy).first?.httpStatus, 503)
    }
}
