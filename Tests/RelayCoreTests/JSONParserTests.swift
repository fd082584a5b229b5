import XCTest

@testable import RelayCore

final class JSONParserTests: XCTestCase {
    private func parse(_ s: String, depth: Int = 16) throws -> JSONValue { try JSONParser.parse(Array(s.utf8), maxDepth: depth) }

    func testValues() throws {
        let v = try parse(#" {"a": [1, -2.5e3, true, false, null], "b": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "c": {}} "#)
        XCTAssertEqual(v["a"], .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
        XCTAssertEqual(v["b"]?.stringValue, "x\"\\/\u{8}\u{c}\n\r\té😀")
        XCTAssertEqual(v["c"], .object([:]))
        XCTAssertEqual(v["a"]?.arrayValue?[1].doubleValue, -2500)
        XCTAssertEqual(try parse(#"{"aud":"x"}"#)["aud"]?.stringList, ["x"])
        XCTAssertEqual(try parse(#"{"aud":["x","y"]}"#)["aud"]?.stringList, ["x", "y"])
        XCTAssertNil(try parse(#"{"aud":["x",1]}"#)["aud"]?.stringList)
    }

    func testRejectsDuplicateMembers() {
        // Two parsers reading {"alg":"RS256","alg":"none"} differently is how confusion attacks start.
        XCTAssertThrowsError(try parse(#"{"alg":"RS256","alg":"none"}"#)) { XCTAssertTrue("\($0)".contains("duplicate")) }
    }

    func testRejectsInvalidDocuments() {
        for bad in [
            "", "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "{'a':1}", "01", "1.", "-", "1e", "tru", "nul",
            "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\nb\"", "{} {}", "NaN", "\"\\u12\"",
        ] {
            XCTAssertThrowsError(try parse(bad), "accepted \(bad.debugDescription)")
        }
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xFF, 0x22]), "invalid UTF-8")
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xC3, 0x22]), "truncated UTF-8")
    }

    func testDepthLimit() {
        XCTAssertNoThrow(try parse(String(repeating: "[", count: 4) + String(repeating: "]", count: 4), depth: 4))
        XCTAssertThrowsError(try parse(String(repeating: "[", count: 5) + String(repeating: "]", count: 5), depth: 4))
        XCTAssertThrowsError(try parse(String(repeating: "[", count: 100_000)), "deep nesting fails cleanly, no stack overflow")
    }

    func testSerialisationIsStableAndEscaped() throws {
        let v = try parse(#"{"b":[1,"\u2028"],"a":{"y":null,"x":12345678901234567890}}"#)
        XCTAssertEqual(v.jsonText, #"{"a":{"x":12345678901234567890,"y":null},"b":[1,"\u2028"]}"#)
        XCTAssertEqual(try parse(v.prettyJSONText), v)
    }
}
