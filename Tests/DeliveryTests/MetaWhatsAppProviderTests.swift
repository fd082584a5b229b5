import Foundation
import RelayCore
import RelayTestSupport
import Transport
import XCTest

@testable import Delivery

/// The Meta WhatsApp Cloud API provider against a loopback fake with the real shapes.
final class MetaWhatsAppProviderTests: XCTestCase {
    var dir: TempDirectory!
    var fake: FakeProcess!
    var out: String { dir.file("meta.jsonl") }
    let clock = ManualClock(1_800_000_000_000)

    override func setUpWithError() throws {
        dir = TempDirectory("otp-relay-delivery")
        fake = try FakeProcess(
            script: "fake_meta.py",
            arguments: ["--out", out, "--version", "v21.0", "--phone-id", "106540352242922", "--token", "EAAG-token"])
    }

    override func tearDown() { fake?.stop() }

    private func provider(_ edit: (inout MetaWhatsAppConfig) -> Void = { _ in }) -> MetaWhatsAppProvider {
        var c = MetaWhatsAppConfig(
            baseURL: "http://127.0.0.1:\(fake.port)", phoneNumberID: "106540352242922",
            accessToken: "EAAG-token", templateName: "otp_login", clock: clock)
        edit(&c)
        return MetaWhatsAppProvider(config: c)
    }

    private func message(to: String = "+6284512340987", language: String = "id") -> OutgoingMessage {
        MessageTemplates().render(
            jobID: "01JOBMETA00000000000000000", channel: .whatsapp, recipient: to, otp: "493817",
            language: language, validityMinutes: 5, appName: "Nanovest")
    }

    func testRequestShape() throws {
        let outcome = provider().send(message())
        guard case .sent(let id?, 200) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertTrue(id.hasPrefix("wamid."))
        let rec = try XCTUnwrap(readJSONLines(out).last)
        XCTAssertEqual(rec["method"] as? String, "POST")
        XCTAssertEqual(rec["path"] as? String, "/v21.0/106540352242922/messages")
        let h = rec["headers"] as! [String: String]
        XCTAssertEqual(h["authorization"], "Bearer EAAG-token")
        XCTAssertEqual(h["content-type"], "application/json")
        let doc = rec["json"] as! [String: Any]
        XCTAssertEqual(doc["messaging_product"] as? String, "whatsapp")
        XCTAssertEqual(doc["to"] as? String, "6284512340987")
        XCTAssertEqual(doc["type"] as? String, "template")
        let t = doc["template"] as! [String: Any]
        XCTAssertEqual(t["name"] as? String, "otp_login")
        XCTAssertEqual((t["language"] as! [String: String])["code"], "id")
        let comps = t["components"] as! [[String: Any]]
        XCTAssertEqual(comps.count, 2)
        XCTAssertEqual(comps[0]["type"] as? String, "body")
        XCTAssertEqual(comps[0]["parameters"] as? [[String: String]], [["type": "text", "text": "493817"]])
        XCTAssertEqual(comps[1]["type"] as? String, "button")
        XCTAssertEqual(comps[1]["sub_type"] as? String, "url")
        XCTAssertEqual(comps[1]["index"] as? String, "0")
        XCTAssertEqual(comps[1]["parameters"] as? [[String: String]], [["type": "text", "text": "493817"]])
    }

    func testEnglishLanguageCode() throws {
        XCTAssertEqual(provider().send(message(language: "en")).name, "sent")
        let doc = try XCTUnwrap(readJSONLines(out).last)["json"] as! [String: Any]
        XCTAssertEqual(((doc["template"] as! [String: Any])["language"] as! [String: String])["code"], "en_US")
    }

    func testErrorCodeClassification() {
        let p = provider()
        let cases: [(String, String, Int)] = [
            ("131026", "next_route", 400),
            ("131047", "next_route", 400),  // re-engagement window: the same message will not pass later
            ("131048", "provider_failure", 400),  // spam rate limit: this sender is held back
            ("130429", "retryable", 400),
            ("131056", "retryable", 400),
            ("131000", "retryable", 500),
            ("132001", "provider_failure", 400),  // template problems are ours, not the recipient's
            ("000100", "provider_failure", 400),
            ("131008", "provider_failure", 400),
            ("131009", "provider_failure", 400),
            ("131042", "provider_failure", 400),
            ("130497", "provider_failure", 400),
            ("132000", "provider_failure", 400),
            ("132007", "provider_failure", 400),
            ("132015", "provider_failure", 400),
            ("132016", "provider_failure", 400),
            ("133010", "provider_failure", 400),
            ("131030", "permanent", 400),  // the recipient
            ("999999", "permanent", 400),  // unknown 4xx code
        ]
        for (code, expected, status) in cases {
            let outcome = p.send(message(to: "+62812000" + code))
            XCTAssertEqual(outcome.name, expected, code)
            XCTAssertEqual(outcome.status, status, code)
            XCTAssertEqual(outcome.reason?.hasPrefix("meta \(Int(code)!)"), true, outcome.reason ?? "")
            XCTAssertFalse((outcome.reason ?? "").contains("62812000"))
        }
    }

    func testBadTokenIsPermanent() {
        let outcome = provider { $0.accessToken = "wrong-token" }.send(message())
        XCTAssertEqual(outcome, .permanent(reason: "meta 190: access token invalid or expired", status: 401))
        XCTAssertFalse(outcome.reason!.contains("wrong-token"))
    }

    func testServerErrorHonoursRetryAfter() {
        let outcome = provider().send(message(to: "+628120005030"))
        XCTAssertEqual(outcome, .retryable(reason: "meta 2: API service temporarily unavailable", retryAfterMillis: 4000, status: 503))
    }

    func testOnlyWhatsApp() {
        var m = message()
        m.channel = .sms
        XCTAssertEqual(provider().send(m).name, "permanent")
        XCTAssertEqual(readJSONLines(out).count, 0)
    }
}
