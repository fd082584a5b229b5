import XCTest

@testable import SIMASID

final class Base64URLTests: XCTestCase {
    private func decode(_ s: String) throws -> [UInt8] { try Base64URL.decode(Array(s.utf8)) }

    func testRoundTrip() throws {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64URL.encode(bytes)
            XCTAssertFalse(text.contains("="))
            XCTAssertEqual(try decode(text), bytes)
        }
        XCTAssertEqual(Base64URL.encode(Array("{\"alg\":\"RS256\"}".utf8)), "eyJhbGciOiJSUzI1NiJ9")
        XCTAssertEqual(try decode("-_8"), [0xFB, 0xFF])
    }

    func testRejectsPaddingStandardAlphabetAndWhitespace() {
        XCTAssertThrowsError(try decode("eyJhbGciOiJSUzI1NiJ9="))  // padding (also a bad length)
        XCTAssertThrowsError(try decode("ab==")) { XCTAssertEqual($0 as? Base64URL.DecodingError, .invalidCharacter(offset: 2)) }
        XCTAssertThrowsError(try decode("+/8")) { XCTAssertEqual($0 as? Base64URL.DecodingError, .invalidCharacter(offset: 0)) }
        XCTAssertThrowsError(try decode("ab c")) { XCTAssertEqual($0 as? Base64URL.DecodingError, .invalidCharacter(offset: 2)) }
        XCTAssertThrowsError(try decode("abcde")) { XCTAssertEqual($0 as? Base64URL.DecodingError, .invalidLength(5)) }
    }

    func testRejectsNonCanonicalTrailingBits() {
        // "-_8" is canonical for FB FF; "-_9" decodes to the same bytes with a non-zero unused bit.
        XCTAssertThrowsError(try decode("-_9")) { XCTAssertEqual($0 as? Base64URL.DecodingError, .nonCanonicalTrailingBits) }
        XCTAssertThrowsError(try decode("QR")) { XCTAssertEqual($0 as? Base64URL.DecodingError, .nonCanonicalTrailingBits) }
        XCTAssertEqual(try? decode("QQ"), [0x41])
    }
}
