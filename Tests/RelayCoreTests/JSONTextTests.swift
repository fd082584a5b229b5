import Foundation
import XCTest

@testable import RelayCore

final class JSONTextTests: XCTestCase {
    func testPlainStringsAreQuotedAsIs() {
        XCTAssertEqual(JSONText.quote(""), #""""#)
        XCTAssertEqual(JSONText.quote("01JD5Z8N3QK7R9T2V4W6X8Y0AB"), #""01JD5Z8N3QK7R9T2V4W6X8Y0AB""#)
        XCTAssertEqual(JSONText.quote("héllo ✓ 𝄞"), "\"héllo ✓ 𝄞\"")
    }

    func testEscapes() {
        XCTAssertEqual(JSONText.quote("a\"b\\c"), #""a\"b\\c""#)
        XCTAssertEqual(JSONText.quote("l1\nl2\rl3\tx"), #""l1\nl2\rl3\tx""#)
        XCTAssertEqual(JSONText.quote("\u{0}\u{1f}\u{7f}"), "\"\\u0000\\u001f\u{7f}\"")
        XCTAssertEqual(JSONText.quote("a\u{2028}b\u{2029}c"), #""a\u2028b\u2029c""#)
        // E2 80 followed by something else is an ordinary character (U+2020 †, U+2030 ‰).
        XCTAssertEqual(JSONText.quote("\u{2020}\u{2030}\u{20AC}"), "\"\u{2020}\u{2030}\u{20AC}\"")
    }

    /// Whatever goes in comes back out of a JSON parser unchanged.
    func testRoundTripsThroughAJSONParser() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Unicode.Scalar] = [
            "a", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1b}", "é", "\u{2028}", "\u{2029}",
            "\u{2020}", "𝄞", "/", "<", "\u{7f}",
        ]
        for _ in 0..<500 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...12, using: &rng) { s.append(alphabet.randomElement(using: &rng)!) }
            let text = String(s)
            let doc = "[" + JSONText.quote(text) + "]"
            let parsed = try JSONSerialization.jsonObject(with: Data(doc.utf8)) as? [String]
            XCTAssertEqual(parsed, [text], doc)
        }
    }
}
