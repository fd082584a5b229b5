import RelayCrypto
import XCTest

@testable import Relay

/// Receipt signatures and parsing, without the network.
final class ReceiptSignatureTests: XCTestCase {
    /// Twilio's documented example (twilio-python's RequestValidator tests).
    let vectorURL = "https://mycompany.com/myapp.php?foo=1&bar=2"
    let vectorParams = [
        ("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"), ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]

    func testTwilioDocumentedVector() {
        XCTAssertEqual(
            TwilioSignature.compute(url: vectorURL, parameters: vectorParams, authToken: "12345"), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        XCTAssertEqual(
            TwilioSignature.compute(url: vectorURL, parameters: vectorParams.reversed(), authToken: "12345"),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
            "parameters are sorted by name")
        XCTAssertTrue(
            TwilioSignature.isValid(signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", url: vectorURL, parameters: vectorParams, authToken: "12345")
        )
    }

    func testTwilioRefusesAnyChange() {
        let good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        XCTAssertFalse(TwilioSignature.isValid(signature: good, url: vectorURL, parameters: vectorParams, authToken: "12346"))
        XCTAssertFalse(TwilioSignature.isValid(signature: nil, url: vectorURL, parameters: vectorParams, authToken: "12345"))
        XCTAssertFalse(TwilioSignature.isValid(signature: "", url: vectorURL, parameters: vectorParams, authToken: "12345"))
        var changed = vectorParams
        changed[2].1 = "1235"
        XCTAssertFalse(TwilioSignature.isValid(signature: good, url: vectorURL, parameters: changed, authToken: "12345"))
        XCTAssertFalse(TwilioSignature.isValid(signature: good, url: vectorURL, parameters: vectorParams + [("X", "")], authToken: "12345"))
        XCTAssertFalse(
            TwilioSignature.isValid(
                signature: good, url: "https://mycompany.com/myapp.php?foo=1&bar=3", parameters: vectorParams, authToken: "12345"))
    }

    func testTwilioChecksWithAndWithoutTheDefaultPort() {
        let withPort = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
        let signedWithPort = TwilioSignature.compute(url: withPort, parameters: vectorParams, authToken: "12345")
        XCTAssertTrue(TwilioSignature.isValid(signature: signedWithPort, url: vectorURL, parameters: vectorParams, authToken: "12345"))
        XCTAssertTrue(
            TwilioSignature.isValid(signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", url: withPort, parameters: vectorParams, authToken: "12345"))
        XCTAssertEqual(TwilioSignature.urlVariants("http://a.example/x"), ["http://a.example/x", "http://a.example:80/x"])
        XCTAssertEqual(TwilioSignature.urlVariants("https://a.example:8443/x"), ["https://a.example:8443/x"], "a non-default port stays")
        XCTAssertEqual(TwilioSignature.urlVariants("https://[::1]/r"), ["https://[::1]/r", "https://[::1]:443/r"])
        XCTAssertEqual(TwilioSignature.urlVariants("https://u:p@h:443"), ["https://u:p@h:443", "https://u:p@h"])
    }

    func testMetaSignature() {
        let body = Array(#"{"object":"whatsapp_business_account","entry":[]}"#.utf8)
        let sig = MetaSignature(appSecret: "app-secret")
        let header = "sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Array("app-secret".utf8), data: body))
        XCTAssertEqual(sig.header(for: body), header)
        XCTAssertTrue(sig.isValid(header: header, body: body))
        XCTAssertTrue(sig.isValid(header: header.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="), body: body))
        XCTAssertFalse(sig.isValid(header: header, body: body + [0x20]))
        XCTAssertFalse(sig.isValid(header: nil, body: body))
        XCTAssertFalse(sig.isValid(header: "sha1=" + String(header.dropFirst(7)), body: body))
        XCTAssertFalse(MetaSignature(appSecret: "other").isValid(header: header, body: body))
    }

    func testFormBody() {
        XCTAssertEqual(
            FormBody.decode(Array("To=%2B6281&Body=a+b%26c&Empty=&Flag".utf8))?.map { "\($0.0)=\($0.1)" },
            ["To=+6281", "Body=a b&c", "Empty=", "Flag="])
        XCTAssertNil(FormBody.decode(Array("a=%zz".utf8)))
        XCTAssertNil(FormBody.decode(Array("a=%2".utf8)))
        XCTAssertNil(FormBody.decode(Array("a=%ff".utf8)), "not UTF-8")
    }

    func testParsingKeepsOnlyTokens() throws {
        let form = [
            ("MessageSid", "SM0123456789abcdef0123456789abcdef"), ("MessageStatus", "undelivered"), ("ErrorCode", "30003"),
            ("To", "+6281234567890"), ("ErrorMessage", "Unreachable +6281234567890"),
        ]
        let r = try XCTUnwrap(ReceiptParsing.twilio(form, provider: "tw", now: 5))
        XCTAssertEqual(r.kind, .failed)
        XCTAssertEqual(r.errorCode, "30003")
        XCTAssertEqual(r.providerStatus, "undelivered")
        XCTAssertNil(ReceiptParsing.twilio([("MessageStatus", "sent")], provider: "tw", now: 5))
        XCTAssertNil(ReceiptParsing.twilio([("MessageSid", "SM1"), ("MessageStatus", "<b>")], provider: "tw", now: 5))
        let meta = #"""
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
             "messaging_product":"whatsapp","statuses":[
              {"id":"wamid.HBgNA1==","status":"failed","timestamp":"1","recipient_id":"6281234567890",
               "biz_opaque_callback_data":"01J","errors":[{"code":131026,"title":"Message undeliverable"}]},
              {"id":"wamid.HBgNA2==","status":"read","recipient_id":"6281234567890"}]}}]}]}
            """#
        let rs = try XCTUnwrap(ReceiptParsing.meta(Array(meta.utf8), provider: "meta", now: 5))
        XCTAssertEqual(rs.map(\.providerMessageID), ["wamid.HBgNA1==", "wamid.HBgNA2=="])
        XCTAssertEqual(rs.map(\.kind), [.failed, .delivered])
        XCTAssertEqual(rs.first?.errorCode, "131026")
        XCTAssertNil(ReceiptParsing.meta(Array("not json".utf8), provider: "meta", now: 5))
        XCTAssertEqual(
            ReceiptParsing.meta(Array(#"{"entry":[{"changes":[{"value":{"messages":[]}}]}]}"#.utf8), provider: "m", now: 5)?.count, 0)
    }
}
