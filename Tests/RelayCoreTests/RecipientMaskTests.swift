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
}
