import RelayCore
import XCTest

@testable import Delivery

final class MessageTemplateTests: XCTestCase {
    func testSubstitutionIsSinglePass() {
        let values = ["otp": "{app}", "app": "{otp}", "minutes": "5"]
        XCTAssertEqual(
            TemplateRenderer.render("{otp}-{app}-{minutes}-{unknown}-{-}{", values: values),
            "{app}-{otp}-5-{unknown}-{-}{")
        XCTAssertEqual(TemplateRenderer.render("{{otp}}", values: ["otp": "1"]), "{1}")
        XCTAssertEqual(TemplateRenderer.render("", values: values), "")
        XCTAssertEqual(TemplateRenderer.placeholders(in: #"{"a":"{to}",{}} {x_1}"#), ["to", "", "x_1"])
    }

    /// ASCII templates take the byte scan, others the character scan: both give the same text
    /// (a trailing "é" sends the same template through the character scan), and a brace joined
    /// by a combining mark is no brace.
    func testByteScanAndCharacterScanAgree() {
        let values = ["otp": "12\"3", "app": "Sim{otp}", "minutes": "é5", "": "empty"]
        let templates = [
            "{otp}-{app}-{minutes}-{unknown}-{-}{", "{{otp}}", "", "{", "}", "{}", "}{otp}{", "{otp", "{ap{app}}", "x{minutes}y{otp}z",
            #"{"to": "{to}", "text": "{otp}"}"#,
        ]
        for t in templates {
            let escape = { (s: String) in "[" + s + "]" }
            XCTAssertEqual(TemplateRenderer.render(t + "é", values: values), TemplateRenderer.render(t, values: values) + "é", t)
            XCTAssertEqual(
                TemplateRenderer.render(t + "é", values: values, escape: escape),
                TemplateRenderer.render(t, values: values, escape: escape) + "é", t)
        }
        XCTAssertEqual(TemplateRenderer.render("{\u{301}otp} {otp}", values: values), "{\u{301}otp} 12\"3")
    }

    func testRenderPerChannelAndLanguage() {
        let t = MessageTemplates()
        for channel in Channel.allCases {
            for lang in ["id", "en"] {
                let m = t.render(
                    jobID: "j", channel: channel, recipient: "r", otp: "493817", language: lang,
                    validityMinutes: 7, appName: "SimInvest")
                XCTAssertTrue(m.text.contains("493817"), "\(channel) \(lang)")
                XCTAssertTrue(m.text.contains("7"), "\(channel) \(lang)")
                XCTAssertTrue(m.text.contains("SimInvest"), "\(channel) \(lang)")
                XCTAssertFalse(m.text.contains("{"), "\(channel) \(lang)")
                XCTAssertEqual(m.language, lang)
                XCTAssertEqual(m.subject != nil, channel == .email)
                XCTAssertEqual(m.html != nil, channel == .email)
            }
        }
        let sms = t.render(jobID: "j", channel: .sms, recipient: "r", otp: "1234", validityMinutes: 5, appName: "A")
        XCTAssertTrue(sms.text.contains("Berlaku 5 menit"), "Indonesian is the default")
        XCTAssertTrue(sms.text.allSatisfy(\.isASCII), "SMS stays in GSM-7 friendly ASCII")
        let fallback = t.render(jobID: "j", channel: .sms, recipient: "r", otp: "1234", language: "fr", validityMinutes: 5, appName: "A")
        XCTAssertEqual(fallback.text, sms.text)
        XCTAssertEqual(fallback.language, "id")
    }

    func testHTMLValuesAreEscapedButTextIsNot() {
        let m = MessageTemplates().render(
            jobID: "j", channel: .email, recipient: "a@b.co", otp: "1234", language: "en",
            validityMinutes: 5, appName: "<script>&'\"")
        XCTAssertTrue(m.html!.contains("&lt;script&gt;&amp;&#39;&quot;"))
        XCTAssertFalse(m.html!.contains("<script>"))
        XCTAssertTrue(m.text.contains("<script>&'\""))
        XCTAssertEqual(m.subject, "Your <script>&'\" verification code")
    }

    func testCustomTemplates() {
        var t = MessageTemplates()
        t.templates["en"]?[.sms] = MessageTemplate(text: "{app}: {otp} ({minutes}m)")
        let m = t.render(jobID: "j", channel: .sms, recipient: "r", otp: "9999", language: "EN", validityMinutes: 3, appName: "X")
        XCTAssertEqual(m.text, "X: 9999 (3m)")
    }

    func testDescriptionNeverShowsSecrets() {
        let m = MessageTemplates().render(
            jobID: "j1", channel: .sms, recipient: "+6284512340987", otp: "493817",
            validityMinutes: 5, appName: "A")
        XCTAssertEqual(m.description, "job j1 sms to +62845****0987")
        XCTAssertEqual(m.recipientDigits, "6284512340987")
    }
}
