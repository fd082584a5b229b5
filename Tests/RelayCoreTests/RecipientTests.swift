import XCTest

@testable import RelayCore

final class RecipientTests: XCTestCase {
    func testPartnerExampleNormalizes() {
        XCTAssertEqual(Recipient.normalizePhone("084512340987", defaultCountryCode: "62"), "+6284512340987")
        XCTAssertEqual(Recipient.normalizePhone("6284512340987", defaultCountryCode: "62"), "+6284512340987")
        XCTAssertEqual(Recipient.normalizePhone("+62 845-1234.0987", defaultCountryCode: "62"), "+6284512340987")
        XCTAssertEqual(Recipient.normalizePhone("(0845) 1234 0987", defaultCountryCode: "62"), "+6284512340987")
        XCTAssertEqual(Recipient.normalizePhone("+14155550100", defaultCountryCode: "62"), "+14155550100")
    }

    func testPhoneRejects() {
        for bad in [
            "", "+", "abc", "08a45", "++6284512340987", "62+84512340987", "0084512340987",
            "+0845123409", "1234567", "+1234567890123456", "08451234\u{0}0987", "0845 1234 0987 x1",
        ] {
            XCTAssertNil(Recipient.normalizePhone(bad, defaultCountryCode: "62"), bad)
        }
    }

    func testEmail() {
        XCTAssertEqual(Recipient.normalizeEmail("John.Doe+otp@Example.COM"), "John.Doe+otp@example.com")
        XCTAssertEqual(Recipient.normalizeEmail(" a@b.co "), "a@b.co")
        let local64 = String(repeating: "a", count: 64)
        XCTAssertNotNil(Recipient.normalizeEmail(local64 + "@example.com"))
        XCTAssertNil(Recipient.normalizeEmail(local64 + "a@example.com"))
        let longDomain = (0..<5).map { _ in String(repeating: "d", count: 60) }.joined(separator: ".")
        XCTAssertNil(Recipient.normalizeEmail("a@" + longDomain))
        for bad in [
            "", "a", "@b.co", "a@", "a@b", "a@@b.co", "a b@c.co", "a@b.co\r\nBcc: x@y.z", "a\n@b.co",
            "<a@b.co>", "a@b.co>", "a,b@c.co", "a;b@c.co", "a:b@c.co", "\"a\"@b.co", "a(b)@c.co",
            "a@-b.co", "a@b..co", ".a@b.co", "a.@b.co", "a..b@c.co", "a@b.co.", "jö@b.co", "a@b_c.co",
        ] {
            XCTAssertNil(Recipient.normalizeEmail(bad), bad)
        }
    }

    func testMask() {
        XCTAssertEqual(Recipient.mask("+6284512340987"), "+62845****0987")
        XCTAssertEqual(Recipient.mask("john@example.com"), "jo***@example.com")
        XCTAssertEqual(Recipient.mask("j@example.com"), "j***@example.com")
        XCTAssertFalse(Recipient.mask("+14155550100").contains("555"))
    }

    func testChannel() {
        XCTAssertEqual(Channel(partnerValue: " WhatsApp "), .whatsapp)
        XCTAssertEqual(Channel(partnerValue: "SMS"), .sms)
        XCTAssertNil(Channel(partnerValue: "fax"))
        XCTAssertNil(Channel(partnerValue: ""))
    }
}

final class TrimTests: XCTestCase {
    func testTrimsCRLF() {
        XCTAssertEqual("sms\r\n".trimmingASCIIWhitespace(), "sms")
        XCTAssertEqual("\r\n\t a b \r\n".trimmingASCIIWhitespace(), "a b")
        XCTAssertEqual(Channel(partnerValue: "SMS\r\n"), .sms)
        XCTAssertEqual(" \r\n".trimmingASCIIWhitespace(), "")
    }
}
