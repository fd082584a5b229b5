import Foundation
import RelayCore
import RelayTestSupport
import Transport
import XCTest

@testable import Delivery

/// The generic `http` provider: template rendering with escaping, against a loopback gateway.
final class HTTPGatewayProviderTests: XCTestCase {
    var dir: TempDirectory!
    var fake: FakeProcess!
    var out: String { dir.file("gateway.jsonl") }
    var base: String { "http://127.0.0.1:\(fake.port)" }
    let hostile = "Kode {otp} \"quoted\", \\ back\nline & x=1 \u{1}</x>\",\"admin\":\"true"

    override func setUpWithError() throws {
        dir = TempDirectory("otp-relay-delivery")
        fake = try FakeProcess(script: "fake_gateway.py", arguments: ["--out", out])
    }

    override func tearDown() { fake?.stop() }

    private func message(text: String? = nil, channel: Channel = .sms) -> OutgoingMessage {
        var m = MessageTemplates().render(
            jobID: "01JOBGATEWAY00000000000000", channel: channel, recipient: "+6284512340987",
            otp: "493817", validityMinutes: 5, appName: "Nanovest")
        if let text { m.text = text }
        return m
    }

    func testRequestBodyEscapesValues() throws {
        let p = HTTPGatewayProvider(
            config: HTTPGatewayConfig(
                url: base + "/send/{to_digits}?ref={job_id}&to={to}",
                headers: [("X-API-Key", "gw-key")],
                bodyTemplate: #"{"to":"{to}","digits":"{to_digits}","msg":"{text}","code":"{otp}","ref":"{job_id}","meta":{}}"#,
                messageIDPath: "data.id"))
        XCTAssertEqual(p.send(message(text: hostile)), .sent(providerMessageID: "gw-1", status: 200))
        let rec = try XCTUnwrap(readJSONLines(out).last)
        XCTAssertEqual(rec["path"] as? String, "/send/6284512340987?ref=01JOBGATEWAY00000000000000&to=%2B6284512340987")
        let h = rec["headers"] as! [String: String]
        XCTAssertEqual(h["x-api-key"], "gw-key")
        XCTAssertEqual(h["content-type"], "application/json")
        let body = try JSONSerialization.jsonObject(with: Data((rec["body"] as! String).utf8)) as! [String: Any]
        XCTAssertEqual(Set(body.keys), ["to", "digits", "msg", "code", "ref", "meta"])
        XCTAssertEqual(body["msg"] as? String, hostile)
        XCTAssertEqual(body["to"] as? String, "+6284512340987")
        XCTAssertEqual(body["digits"] as? String, "6284512340987")
        XCTAssertEqual(body["code"] as? String, "493817")
    }

    func testFormBodyEscapesValues() throws {
        let p = HTTPGatewayProvider(
            config: HTTPGatewayConfig(
                url: base + "/send", bodyKind: .form, bodyTemplate: "to={to}&text={text}&channel={channel}",
                basicAuth: .init(user: "gw", password: "pw")))
        XCTAssertEqual(p.send(message(text: hostile)).name, "sent")
        let rec = try XCTUnwrap(readJSONLines(out).last)
        let form = (rec["form"] as! [[String]]).map { ($0[0], $0[1]) }
        XCTAssertEqual(form.map(\.0), ["to", "text", "channel"])
        XCTAssertEqual(form[0].1, "+6284512340987")
        XCTAssertEqual(form[1].1, hostile)
        XCTAssertEqual(form[2].1, "sms")
        let h = rec["headers"] as! [String: String]
        XCTAssertEqual(h["content-type"], "application/x-www-form-urlencoded")
        XCTAssertEqual(h["authorization"], "Basic " + Data("gw:pw".utf8).base64EncodedString())
    }

    func testStatusClassification() {
        func send(_ status: Int) -> DeliveryOutcome {
            HTTPGatewayProvider(config: HTTPGatewayConfig(url: base + "/status/\(status)", bodyTemplate: #"{"t":"{text}"}"#))
                .send(message())
        }
        XCTAssertEqual(send(500), .retryable(reason: "http HTTP 500", retryAfterMillis: 5000, status: 500))
        XCTAssertEqual(send(429), .retryable(reason: "http HTTP 429", retryAfterMillis: 5000, status: 429))
        XCTAssertEqual(send(400), .permanent(reason: "http HTTP 400", status: 400))
        XCTAssertEqual(send(401).name, "permanent")
    }

    func testTemplateValidation() {
        let bad: [(HTTPGatewayConfig.BodyKind, String, String)] = [
            (.json, #"{"n": {otp}}"#, "placeholders must be inside JSON strings"),
            (.json, #"{"to":"{recipient}"}"#, "unknown placeholder {recipient}"),
            (.json, #"{"to":"{to}""#, "not valid JSON"),
            (.form, "to={to}&x={nope}", "unknown placeholder {nope}"),
        ]
        for (kind, template, problem) in bad {
            let c = HTTPGatewayConfig(url: base + "/send", bodyKind: kind, bodyTemplate: template)
            XCTAssertThrowsError(try ProviderConfig.http(c).validate(), template) { e in
                XCTAssertEqual((e as? ProviderConfigError)?.problem, problem, template)
            }
            XCTAssertEqual(HTTPGatewayProvider(config: c).send(message()).name, "permanent")
        }
        XCTAssertEqual(readJSONLines(out).count, 0, "an invalid template never sends")
        XCTAssertNoThrow(
            try ProviderConfig.http(
                HTTPGatewayConfig(
                    url: base, bodyTemplate: #"{"a":{"b":["{to}","{text}"]},"c":{},"d":"x\"{otp}\""}"#)
            ).validate())
    }

    func testEmailIsNotAccepted() {
        let p = HTTPGatewayProvider(config: HTTPGatewayConfig(url: base + "/send", bodyTemplate: #"{"t":"{text}"}"#))
        var m = message()
        m.channel = .email
        XCTAssertEqual(p.send(m).name, "permanent")
    }
}
