import XCTest

@testable import RelayCore

/// The webhook body's error messages and field rules (the partner sees these texts).
final class OTPSubmissionTests: XCTestCase {
    private func parse(_ body: String) -> Result<OTPSubmission, PartnerError> {
        Result { () throws(PartnerError) -> OTPSubmission in try OTPSubmission.parse(Array(body.utf8), defaultCountryCode: "62") }
    }

    private func assertMessage(_ body: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        switch parse(body) {
        case .success(let s): XCTFail("accepted \(body): \(s)", file: file, line: line)
        case .failure(let e):
            XCTAssertEqual(e.status, 400, file: file, line: line)
            XCTAssertEqual(e.errorDescription, message, body, file: file, line: line)
        }
    }

    func testPartnerExample() {
        XCTAssertEqual(
            try parse(#"{"identifier":"084512340987","otp":"123456","channel":"whatsapp"}"#).get(),
            OTPSubmission(channel: .whatsapp, recipient: "+6284512340987", otp: "123456"))
        XCTAssertEqual(
            try parse("\u{FEFF} {\"channel\":\"Email\",\"otp\":\"0000\",\"identifier\":\"Jo@Example.COM\",\"x\":[1,{}]}\n").get(),
            OTPSubmission(channel: .email, recipient: "Jo@example.com", otp: "0000"))
        XCTAssertEqual(
            try parse(#"{"identifier":"0845\u00201234\u00200987","otp":"\u0031234","channel":"sms"}"#).get(),
            OTPSubmission(channel: .sms, recipient: "+6284512340987", otp: "1234"))
    }

    func testBodyMessages() {
        assertMessage("", "The request body must be a JSON object")
        for body in ["not json", " ", "{", #"{"otp":"1234",}"#, "{'otp':'1234'}", "\u{FEFF}", "{} x", #"{"a":01}"#] {
            assertMessage(body, "The request body is not valid JSON")
        }
        // A valid JSON text that is not an object. A scalar was "not valid JSON" with JSONSerialization
        // (fragments not allowed); it is valid JSON (RFC 8259 §2), so it now gets this message too.
        for body in ["[]", #"[{"otp":"1234"}]"#, #""abc""#, "1", "null", "true"] {
            assertMessage(body, "The request body must be a JSON object")
        }
    }

    func testFieldMessages() {
        assertMessage("{}", #"Field "channel" is required"#)
        assertMessage(#"{"channel":null,"otp":"1234","identifier":"084512340987"}"#, #"Field "channel" is required"#)
        assertMessage(#"{"channel":1,"otp":"1234","identifier":"084512340987"}"#, #"Field "channel" must be a string"#)
        assertMessage(#"{"channel":["sms"]}"#, #"Field "channel" must be a string"#)
        assertMessage(#"{"channel":"fax","otp":"1234"}"#, #"Field "channel" must be one of email, sms, whatsapp"#)
        assertMessage(#"{"channel":"sms","identifier":"084512340987"}"#, #"Field "otp" is required"#)
        assertMessage(#"{"channel":"sms","otp":null}"#, #"Field "otp" is required"#)
        assertMessage(#"{"channel":"sms","otp":123456}"#, #"Field "otp" must be a string"#)
        assertMessage(#"{"channel":"sms","otp":{"v":"123456"}}"#, #"Field "otp" must be a string"#)
        assertMessage(#"{"channel":"sms","otp":"12"}"#, #"Field "otp" must be 4 to 10 digits"#)
        assertMessage(#"{"channel":"sms","otp":"12345678901"}"#, #"Field "otp" must be 4 to 10 digits"#)
        assertMessage(#"{"channel":"sms","otp":"١٢٣٤"}"#, #"Field "otp" must be 4 to 10 digits"#)
        assertMessage(#"{"channel":"sms","otp":"1234"}"#, #"Field "identifier" is required"#)
        assertMessage(#"{"channel":"sms","otp":"1234","identifier":false}"#, #"Field "identifier" must be a string"#)
        assertMessage(
            #"{"channel":"sms","otp":"1234","identifier":"12"}"#,
            #"Field "identifier" must be a phone number (E.164, or national with a leading 0) for channel sms"#)
        assertMessage(
            #"{"channel":"email","otp":"1234","identifier":"a@b"}"#,
            #"Field "identifier" must be an email address for channel email"#)
        // A field given twice is ambiguous: refused, whatever the values (an escaped name included).
        assertMessage(#"{"channel":"sms","otp":"1234","otp":null}"#, "The request body gives a field more than once")
        assertMessage(#"{"channel":"sms","otp":"1234","o\u0074p":"1234"}"#, "The request body gives a field more than once")
        // Only the fields it reads: another name given twice is ignored like the rest of the extras.
        assertMessage(#"{"channel":"fax","x":1,"x":2}"#, #"Field "channel" must be one of email, sms, whatsapp"#)
        // Invalid text is reported as such even after a field given twice.
        assertMessage(#"{"otp":"1","otp":"2",}"#, "The request body is not valid JSON")
    }

    func testErrorsNeverCarryTheInput() {
        for body in [
            #"{"channel":"sms","otp":"98765432109"}"#, #"{"channel":"sms","otp":"987654","identifier":"98765"}"#,
            #"{"channel":"987654","otp":"987654"}"#, #"{"channel":"sms","otp":"987654",}"#,
        ] {
            guard case .failure(let e) = parse(body) else { XCTFail(body); continue }
            XCTAssertFalse(e.errorDescription.contains("9876"), e.errorDescription)
            XCTAssertFalse(String(decoding: e.body, as: UTF8.self).contains("9876"))
        }
    }
}
