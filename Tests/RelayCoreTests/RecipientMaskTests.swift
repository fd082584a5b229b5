import XCTest

@testable import RelayCore

/// Masking never shows a whole number: found by the otp_submission fuzz target (scripts/fuzz),
/// where a 9-digit E.164 number (`+123456789`) came out of `mask` with every digit visible.
final class RecipientMaskTests: XCTestCase {
    func testShortE164NumbersKeepFourDigitsHidden() {
        XCTAssertEqual(Recipient.mask("+123456789"), "+1****6789")
        XCTAssertEqual(Recipient.mask("+1234567890"), "+12****7890")
        XCTAssertEqual(Recipient.mask("+6284512340987"), "+62845****0987")
        for n in 8...15 {
            let phone = "+" + String(repeating: "7", count: n)
            let shown = Recipient.mask(phone).filter(\.isNumber).count
            XCTAssertLessThanOrEqual(shown, n - 4, phone)
        }
    }

    func testEmailMasks() {
        XCTAssertEqual(Recipient.mask("john@example.com"), "jo***@example.com")
        XCTAssertEqual(Recipient.mask("jo@example.com"), "j***@example.com")
        XCTAssertEqual(Recipient.mask("j@example.com"), "j***@example.com")
        XCTAssertEqual(Recipient.mask("@example.com"), "***@example.com")
    }

    /// The byte path (ASCII recipients) and the character path agree, and non-ASCII input is
    /// masked by characters (never split inside one).
    func testBytePathMatchesCharacterPath() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("+0123456789abc.@")
        for _ in 0..<2_000 {
            let s = String((0..<Int.random(in: 0...20, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            XCTAssertEqual(Recipient.mask(s), Recipient.maskCharacters(s), s)
        }
        XCTAssertEqual(Recipient.mask("éé@example.com"), "é***@example.com")
        XCTAssertEqual(Recipient.mask("+62é4512340987"), "+62é45****0987")
    }
}
