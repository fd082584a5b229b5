import RelayCore
import Transport
import XCTest

@testable import Delivery

final class OutcomeRulesTests: XCTestCase {
    let clock = ManualClock(1_800_000_000_000)

    private func response(_ status: Int, retryAfter: String? = nil) -> HTTPClientResponse {
        HTTPClientResponse(status: status, headers: retryAfter.map { [("Retry-After", $0)] } ?? [], body: [], durationMillis: 1)
    }

    func testRetryAfter() {
        XCTAssertEqual(OutcomeRules.retryAfterMillis(response(429, retryAfter: "12"), clock: clock), 12_000)
        XCTAssertEqual(OutcomeRules.retryAfterMillis(response(429, retryAfter: "Fri, 15 Jan 2027 08:00:30 GMT"), clock: clock), 30_000)
        XCTAssertEqual(OutcomeRules.retryAfterMillis(response(429, retryAfter: "Fri, 15 Jan 2027 07:00:00 GMT"), clock: clock), 0)
        XCTAssertNil(OutcomeRules.retryAfterMillis(response(429, retryAfter: "soon"), clock: clock))
        XCTAssertNil(OutcomeRules.retryAfterMillis(response(429), clock: clock))
    }

    func testStatusClasses() {
        for s in [408, 425, 429, 500, 502, 503, 504] {
            XCTAssertEqual(OutcomeRules.byStatus(response(s), provider: "p", clock: clock).name, "retryable", "\(s)")
        }
        for s in [300, 400, 401, 403, 404, 413, 422] {
            XCTAssertEqual(OutcomeRules.byStatus(response(s), provider: "p", clock: clock).name, "permanent", "\(s)")
        }
    }

    func testSMTPReplyClasses() {
        func e(_ kind: TransportError.Kind, reply: Int = 0) -> TransportError {
            TransportError(kind, curlCode: 1, replyCode: reply, message: "m")
        }
        XCTAssertEqual(SMTPProvider.classify(e(.other, reply: 451)).name, "retryable")
        XCTAssertEqual(SMTPProvider.classify(e(.other, reply: 552)).name, "permanent")
        XCTAssertEqual(SMTPProvider.classify(e(.authentication)).name, "permanent")
        XCTAssertEqual(SMTPProvider.classify(e(.connect)).name, "retryable")
        XCTAssertEqual(SMTPProvider.classify(e(.timeout)).name, "retryable")
        XCTAssertEqual(SMTPProvider.classify(e(.tls)).name, "retryable")
        XCTAssertEqual(SMTPProvider.classify(e(.invalidRequest)).name, "permanent")
    }

    func testProviderConfigValidation() {
        let good: [ProviderConfig] = [
            .sandbox(SandboxConfig()),
            .smtp(SMTPProviderConfig(url: "smtps://smtp.example.com", username: "u", password: "p", fromAddress: "a@b.co")),
            .twilio(TwilioConfig(accountSID: "AC1", credentials: .authToken("t"), smsFrom: "+1500", whatsAppFrom: "+1415")),
            .metaWhatsApp(MetaWhatsAppConfig(phoneNumberID: "1", accessToken: "t", templateName: "otp")),
        ]
        for c in good { XCTAssertNoThrow(try c.validate(), c.name) }
        let bad: [(ProviderConfig, String)] = [
            (.smtp(SMTPProviderConfig(url: "http://smtp.example.com", fromAddress: "a@b.co")), "url"),
            (.smtp(SMTPProviderConfig(url: "smtp://x", fromAddress: "not an address")), "from_address"),
            (.smtp(SMTPProviderConfig(url: "smtp://x", username: "u", fromAddress: "a@b.co")), "password"),
            (.twilio(TwilioConfig(accountSID: "AC1", credentials: .authToken("t"), smsFrom: "+1500")), "whatsapp_from"),
            (.metaWhatsApp(MetaWhatsAppConfig(phoneNumberID: "1", accessToken: "", templateName: "otp")), "access_token"),
            (.sandbox(SandboxConfig(path: "")), "path"),
        ]
        for (c, field) in bad {
            XCTAssertThrowsError(try c.validate(), field) { XCTAssertEqual(($0 as? ProviderConfigError)?.field, field) }
        }
        XCTAssertEqual(good.map(\.kind), ["sandbox", "smtp", "twilio", "meta_whatsapp"])
        XCTAssertEqual(good.map { $0.makeProvider().kind }, ["sandbox", "smtp", "twilio", "meta_whatsapp"])
    }
}
