import Foundation
import RelayCore
import XCTest

@testable import Delivery
@testable import Outbox

/// What receipts do to jobs (pure), the request fields that ask for them, and their settings.
final class ReceiptJudgementTests: XCTestCase {
    let now: Int64 = 1_800_000_000_000

    /// whatsapp: [meta] with fallback sms: [twilio].
    func configuration() throws -> DeliveryConfiguration {
        let meta = ProviderSpec(name: "meta", kind: "meta_whatsapp", channels: [.whatsapp]) { fatalError() }
        let twilio = ProviderSpec(name: "twilio", kind: "twilio", channels: [.sms]) { fatalError() }
        return DeliveryConfiguration(
            providers: [meta, twilio], routes: try Routes(ladders: [.whatsapp: ["meta"], .sms: ["twilio"]], fallbacks: [.whatsapp: .sms]))
    }

    func target(
        status: JobStatus = .sent, step: Int = 0, attemptStep: Int = 0, payload: Bool = true, expires: Int64? = nil
    )
        -> ReceiptTarget
    {
        ReceiptTarget(
            jobID: "J", status: status, channel: "whatsapp", routeStep: step, attemptRouteStep: attemptStep, createdAt: now - 5_000,
            expiresAt: expires ?? now + 300_000, hasPayload: payload)
    }

    func receipt(_ provider: String, _ status: String, _ kind: ReceiptKind, _ code: String? = nil) -> Receipt {
        Receipt(provider: provider, providerMessageID: "M", kind: kind, providerStatus: status, errorCode: code, receivedAt: now)
    }

    func testDecisions() throws {
        let c = try configuration()
        func decide(_ r: Receipt, _ t: ReceiptTarget) -> ReceiptTransition {
            ReceiptJudgement.decide(r, target: t, now: now, configuration: c)
        }
        // Not on WhatsApp after acceptance → the SMS rung at once.
        XCTAssertEqual(decide(receipt("meta", "failed", .failed, "131026"), target()), .nextRoute(step: 1, runAt: now))
        // A provider-side failure (template paused) → the next rung too.
        XCTAssertEqual(decide(receipt("meta", "failed", .failed, "132015"), target()), .nextRoute(step: 1, runAt: now))
        // A recipient problem → undelivered.
        XCTAssertEqual(
            decide(receipt("twilio", "undelivered", .failed, "21211"), target(step: 1, attemptStep: 1)),
            .undelivered(reason: "twilio 21211: invalid To number"))
        // No rung left.
        XCTAssertEqual(
            decide(receipt("twilio", "failed", .failed, "30003"), target(step: 1, attemptStep: 1)),
            .undelivered(reason: "no route left: twilio 30003: unreachable destination handset"))
        // A failure of an older attempt, once the job moved on: recorded only.
        XCTAssertEqual(decide(receipt("meta", "failed", .failed, "131026"), target(status: .queued, step: 1, attemptStep: 0)), .none)
        XCTAssertEqual(decide(receipt("meta", "failed", .failed, "131026"), target(status: .sent, step: 1, attemptStep: 0)), .none)
        // After the expiry: nothing to resend.
        XCTAssertEqual(
            decide(receipt("meta", "failed", .failed, "131026"), target(payload: false, expires: now - 1)),
            .undelivered(reason: "meta 131026: message undeliverable (not on WhatsApp or cannot receive) (after expiry)"))
        // Delivered (or read) from anything but delivered; progress changes nothing.
        XCTAssertEqual(decide(receipt("meta", "read", .delivered), target(status: .queued, step: 1)), .delivered)
        XCTAssertEqual(decide(receipt("meta", "delivered", .delivered), target(status: .delivered)), .none)
        XCTAssertEqual(decide(receipt("meta", "sent", .progress), target()), .none)
        XCTAssertEqual(decide(receipt("twilio", "failed", .failed, "30008"), target(status: .delivered)), .none)
        // Without a code: another route may reach the person.
        XCTAssertEqual(decide(receipt("meta", "failed", .failed), target()), .nextRoute(step: 1, runAt: now))
    }

    func testAcceptedSetsTheFallbackTimeOnlyWithANextRungBeforeExpiry() throws {
        var c = try configuration()
        c.fallbackAfter[.whatsapp] = .seconds(20)
        let rungs = c.routes.rungs(for: .whatsapp)
        XCTAssertEqual(
            ReceiptJudgement.accepted(rung: rungs[0], rungs: rungs, now: now, expiresAt: now + 300_000, config: c),
            .accepted(fallbackAt: now + 20_000))
        XCTAssertEqual(
            ReceiptJudgement.accepted(rung: rungs[0], rungs: rungs, now: now, expiresAt: now + 10_000, config: c),
            .accepted(fallbackAt: nil))
        XCTAssertEqual(
            ReceiptJudgement.accepted(rung: rungs[1], rungs: rungs, now: now, expiresAt: now + 300_000, config: c),
            .accepted(fallbackAt: nil), "the last rung has nowhere to fall back to")
    }

    func testTwilioAsksForCallbacksWithTheRemainingValidity() {
        let clock = ManualClock(now)
        let config = TwilioConfig(
            name: "tw", accountSID: "AC1", credentials: .apiKey(sid: "SK1", secret: "s"), smsFrom: "+15005550006",
            statusCallbacks: true, signingToken: "auth-token", publicBaseURL: "https://otp.example.com/", clock: clock)
        var m = MessageTemplates().render(
            jobID: "01JOB", channel: .sms, recipient: "+6284512340987", otp: "493817", validityMinutes: 5, appName: "A")
        m.expiresAt = now + 154_200
        let fields = TwilioProvider(config: config).formFields(for: m)
        XCTAssertEqual(fields.first { $0.0 == "StatusCallback" }?.1, "https://otp.example.com/v1/receipts/twilio/tw")
        XCTAssertEqual(fields.first { $0.0 == "ValidityPeriod" }?.1, "155", "seconds left, rounded up")
        XCTAssertEqual(TwilioProvider.validityPeriod(expiresAt: now - 5, now: now), 1)
        XCTAssertEqual(TwilioProvider.validityPeriod(expiresAt: now + 86_400_000, now: now), 36_000)
        guard case .twilio(let url, let token)? = ProviderConfig.twilio(config).receiptSource else { return XCTFail() }
        XCTAssertEqual(url, "https://otp.example.com/v1/receipts/twilio/tw")
        XCTAssertEqual(token, "auth-token", "callbacks are signed with the auth token even when an API key sends")
        var off = config
        off.statusCallbacks = false
        XCTAssertNil(TwilioProvider(config: off).formFields(for: m).first { $0.0 == "StatusCallback" })
    }

    func testMetaCarriesTheJobIDAsOpaqueCallbackData() throws {
        let p = MetaWhatsAppProvider(config: MetaWhatsAppConfig(phoneNumberID: "1", accessToken: "t", templateName: "otp"))
        let m = MessageTemplates().render(
            jobID: "01JOBMETA", channel: .whatsapp, recipient: "+6284512340987", otp: "493817", validityMinutes: 5, appName: "A")
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(p.body(for: m))) as? [String: Any])
        XCTAssertEqual(doc["biz_opaque_callback_data"] as? String, "01JOBMETA")
    }

    func parse(_ json: String) throws -> DeliveryConfiguration {
        let o = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        return try DeliveryConfiguration.parse(o, sandboxFile: "/dev/null", publicBaseURL: "https://otp.example.com", environment: [:])
    }

    func error(_ json: String) -> String {
        do {
            _ = try parse(json)
            return "no error"
        } catch { return (error as? ConfigError).map { "\($0.key): \($0.problem)" } ?? "\(error)" }
    }

    func testSettings() throws {
        let tw = #""tw": {"kind": "twilio", "account_sid": "AC1", "auth_token": "T", "sms_from": "+1", "whatsapp_from": "+2""#
        XCTAssertEqual(
            error(#"{"providers": {\#(tw)}}, "routes": {"whatsapp": ["tw"]}}"#),
            "delivery.routes.whatsapp: provider tw: twilio needs whatsapp_content_sid for whatsapp (a free-form Body is refused)")
        XCTAssertEqual(error(#"{"providers": {\#(tw)}}, "routes": {"sms": ["tw"]}}"#), "no error", "sms only: fine")
        let c = try parse(
            #"{"providers": {\#(tw), "status_callbacks": true, "api_key_sid": "SK1", "api_key_secret": "S"}}, "#
                + #""routes": {"sms": ["tw"]}, "fallback_after_ms": {"whatsapp": 30000}}"#)
        guard case .twilio(let url, "T")? = c.providers["tw"]?.receipts else {
            return XCTFail("\(String(describing: c.providers["tw"]?.receipts))")
        }
        XCTAssertEqual(url, "https://otp.example.com/v1/receipts/twilio/tw", "public_base_url defaults to the service's")
        XCTAssertEqual(c.fallbackAfter, [.whatsapp: .seconds(30)])
        XCTAssertEqual(
            error(
                #"{"providers": {"tw": {"kind": "twilio", "account_sid": "AC1", "api_key_sid": "SK1", "api_key_secret": "S", "#
                    + #""sms_from": "+1", "channels": ["sms"], "status_callbacks": true}}, "routes": {"sms": ["tw"]}}"#),
            "delivery.providers.tw.auth_token: required with status_callbacks (Twilio signs callbacks with it)")
        XCTAssertEqual(
            error(
                #"{"providers": {"m": {"kind": "meta_whatsapp", "phone_number_id": "1", "access_token": "t", "template_name": "o", "#
                    + #""status_callbacks": true, "app_secret": "s"}}, "routes": {"whatsapp": ["m"]}}"#),
            "delivery.providers.m.verify_token: required with status_callbacks")
        XCTAssertEqual(
            error(#"{"providers": {\#(tw)}}, "routes": {"sms": ["tw"]}, "fallback_after_ms": {"fax": 1000}}"#),
            "delivery.fallback_after_ms.fax: unknown channel")
    }
}
