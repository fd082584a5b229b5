import XCTest

@testable import RelayCore

/// The strict reader, rule by rule: what it accepts and decodes, and everything it refuses.
final class JSONObjectReaderTests: XCTestCase {
    private let reader = JSONObjectReader(fields: ["identifier", "otp", "channel"])
    private let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    private func read(_ bytes: [UInt8]) -> Result<[JSONObjectReader.Value?], JSONObjectReader.Failure> {
        Result { () throws(JSONObjectReader.Failure) -> [JSONObjectReader.Value?] in try reader.read(bytes) }
    }

    /// `text` with `\u{…}` written as the bytes of `raw` spliced in where `@` stands.
    private func bytes(_ text: String, _ raw: [UInt8] = []) -> [UInt8] {
        Array(text.utf8).flatMap { $0 == UInt8(ascii: "@") ? raw : [$0] }
    }

    private func assertValues(_ input: [UInt8], _ expected: [JSONObjectReader.Value?], file: StaticString = #filePath, line: UInt = #line) {
        switch read(input) {
        case .success(let got):
            XCTAssertEqual(got.count, expected.count, file: file, line: line)
            for (g, e) in zip(got, expected) {
                // Scalar by scalar: String's == would let a different normalization pass.
                if case .string(let gs)? = g, case .string(let es)? = e {
                    XCTAssertEqual(
                        Array(gs.unicodeScalars), Array(es.unicodeScalars), String(decoding: input, as: UTF8.self), file: file, line: line)
                } else {
                    XCTAssertEqual(g, e, String(decoding: input, as: UTF8.self), file: file, line: line)
                }
            }
        case .failure(let f):
            XCTFail("refused (\(f)): \(String(decoding: input, as: UTF8.self))", file: file, line: line)
        }
    }

    private func assertRefused(
        _ input: [UInt8], _ expected: JSONObjectReader.Failure = .invalid, _ what: String = "",
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(
            read(input), .failure(expected), "\(what) \(input.map { String($0, radix: 16) }.joined(separator: " "))", file: file, line: line
        )
    }

    func testPartnerExample() {
        assertValues(
            bytes(#"{"identifier":"084512340987","otp":"123456","channel":"whatsapp"}"#),
            [.string("084512340987"), .string("123456"), .string("whatsapp")])
        // Order of members does not matter; absent fields are nil.
        assertValues(bytes(#"{"channel":"sms","otp":"1234"}"#), [nil, .string("1234"), .string("sms")])
        assertValues(bytes("{}"), [nil, nil, nil])
    }

    func testAFieldGivenTwiceIsRefused() {
        assertRefused(bytes(#"{"otp":"1234","otp":"5678"}"#), .duplicateMember)
        assertRefused(bytes(#"{"otp":null,"channel":"sms","otp":"1"}"#), .duplicateMember)
        assertRefused(bytes(#"{"otp":"1","\u006ftp":"2"}"#), .duplicateMember, "the same name after escapes")
        assertRefused(bytes(#"{"otp":"1","otp":"2",}"#), .invalid, "invalid text wins over a duplicate")
        assertRefused(bytes(#"{"otp":"1","otp":"2"} x"#), .invalid, "so does trailing content")
        // Names it does not read may repeat (they are validated, never read), also nested.
        assertValues(bytes(#"{"x":1,"x":2,"otp":"1","n":{"otp":1,"otp":2}}"#), [nil, .string("1"), nil])
    }

    func testWhitespaceAndByteOrderMark() {
        let spaced = bytes(" \t\r\n{ \t\r\n\"otp\" \t\r\n: \t\r\n\"1\" \t\r\n, \"channel\":\"sms\"\n} \t\r\n")
        assertValues(spaced, [nil, .string("1"), .string("sms")])
        assertValues(bom + bytes(#"{"otp":"1"}"#), [nil, .string("1"), nil])
        assertValues(bom + bytes(#" {"otp":"1"}"#), [nil, .string("1"), nil])
        // Only one leading BOM, and nothing but these four bytes counts as whitespace.
        for bad in [
            bom + bom + bytes("{}"), bytes(" ") + bom + bytes("{}"), bytes("{@}", bom), bytes("{}@", bom),
            [0xEF, 0xBB] + bytes("{}"), bom, bytes("{@}", [0x0B]), bytes("{@}", [0x0C]), bytes("{@}", [0xC2, 0xA0]),
            bytes("{@}", [0xE2, 0x80, 0xA8]), bytes("{}@", [0x00]), bytes("{@}", [0x00]),
        ] {
            assertRefused(bad)
        }
    }

    func testEscapes() {
        assertValues(bytes(#"{"otp":"\" \\ \/ \b \f \n \r \t"}"#), [nil, .string("\" \\ / \u{08} \u{0C} \n \r \t"), nil])
        assertValues(bytes(#"{"otp":"\u0041\u00e9\u00C9\u20AC\u0000\u001f\uFFFF"}"#), [nil, .string("AéÉ€\u{0}\u{1F}\u{FFFF}"), nil])
        // A surrogate pair is one scalar, in either case of hex digits.
        assertValues(
            bytes(#"{"otp":"\ud83d\ude00|\uD83D\uDE00|\uDBFF\uDFFF|\uD800\uDC00"}"#),
            [nil, .string("\u{1F600}|\u{1F600}|\u{10FFFF}|\u{10000}"), nil])
        if case .success(let v) = read(bytes(#"{"otp":"\ud83d\ude00"}"#)), case .string(let s)? = v[1] {
            XCTAssertEqual(s.unicodeScalars.count, 1)
            XCTAssertEqual(Array(s.utf8), [0xF0, 0x9F, 0x98, 0x80])
        } else {
            XCTFail("surrogate pair")
        }
        // Escapes in names, and text around escapes.
        assertValues(
            bytes(#"{"o\u0074p":"a\nb","\u0063hannel":"\u0073ms","identifier":"x\\"}"#),
            [.string("x\\"), .string("a\nb"), .string("sms")])
    }

    func testUTF8PassesThrough() {
        let text =
            "José, 日本, Ελλάδα, 😀, \u{7F}, \u{80}, \u{7FF}, \u{800}, "
            + "\u{FFFD}, \u{FFFF}, \u{10000}, \u{10FFFF}, e\u{301}"
        assertValues(bytes("{\"identifier\":\"\(text)\",\"\(text)\":1}"), [.string(text), nil, nil])
        // NFC and NFD are different strings to the reader, byte for byte.
        assertValues(bytes("{\"otp\":\"e\u{301}\"}"), [nil, .string("e\u{301}"), nil])
        assertValues(bytes("{\"otp\u{301}\":\"1\"}"), [nil, nil, nil])
    }

    func testNullAndOtherValues() {
        assertValues(bytes(#"{"identifier":null,"otp":true,"channel":false}"#), [.null, .other, .other])
        for v in [
            "0", "-0", "1", "-1", "10", "1.5", "-0.25", "1e5", "1E5", "1e+5", "1e-5", "0e0", "0.0e-0", "1.5E+300",
            "1e400", "-1e400", String(repeating: "9", count: 400), "123456789012345678901234567890",
            "{}", "[]", "[1,\"a\",null,true,{\"otp\":\"x\"}]", #"{"a":{"b":[[],{}]}}"#,
        ] {
            assertValues(bytes("{\"otp\":\(v),\"channel\":\"sms\"}"), [nil, .other, .string("sms")])
        }
    }

    func testNestedValuesAreSkipped() {
        assertValues(
            bytes(#"{"x":{"otp":"nested","channel":null},"otp":"top","y":["otp",{"identifier":"n"}]}"#),
            [nil, .string("top"), nil])
        assertValues(bytes(#"{"x":["identifier","otp","channel"]}"#), [nil, nil, nil])
        // Names match exactly, not by prefix or case.
        assertValues(bytes(#"{"ot":"1","otpx":"2","OTP":"3","otp ":"4"," otp":"5","":"6"}"#), [nil, nil, nil])
    }

    func testDuplicatesAgreeWithTheOracle() {
        // JSONSerialization keeps the last value; the oracle finds the names itself and expects the refusal.
        for doc in [#"{"otp":"1","otp":"2"}"#, #"{"otp":"1","otp":null}"#, #"{"otp":null,"otp":"3"}"#, #"{"otp":"1","otp":[5]}"#] {
            XCTAssertEqual(JSONReaderOracle.readerOutcome(bytes(doc)), .duplicateMember, doc)
            XCTAssertNil(JSONReaderOracle.compare(bytes(doc)).problem, doc)
        }
        XCTAssertNil(JSONReaderOracle.compare(bytes(#"{"otp":"1","x":2,"x":3}"#)).problem, "other names may repeat")
    }

    func testDepthLimit() {
        func nested(_ levels: Int, open: String = "[", close: String = "]") -> [UInt8] {
            bytes("{\"otp\":" + String(repeating: open, count: levels - 1) + String(repeating: close, count: levels - 1) + "}")
        }
        XCTAssertEqual(JSONObjectReader.maxDepth, 64)
        assertValues(nested(64), [nil, .other, nil])
        assertRefused(nested(65))
        assertValues(
            bytes("{\"otp\":" + String(repeating: "{\"a\":", count: 63) + "1" + String(repeating: "}", count: 63) + "}"),
            [nil, .other, nil])
        assertRefused(bytes("{\"otp\":" + String(repeating: "{\"a\":", count: 64) + "1" + String(repeating: "}", count: 64) + "}"))
        assertRefused(bytes(String(repeating: "[", count: 100_000)))
        assertRefused(bytes(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)))
        assertRefused(bytes(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)), .notAnObject)
    }

    func testValidNonObjects() {
        for doc in ["[]", " [ ] ", "[1,2]", #"[{"otp":"1"}]"#, #""abc""#, "1", "-0.5e3", "true", "false", "null", " null \n"] {
            assertRefused(bytes(doc), .notAnObject, doc)
        }
        assertRefused(bom + bytes("[]"), .notAnObject)
        // Still validated in full.
        for doc in ["[1,]", "[01]", #""\x""#, "1 2", "nul", "[", "\"abc", "[] []", "1.", "-"] {
            assertRefused(bytes(doc), .invalid, doc)
        }
    }

    func testSyntaxErrors() {
        let docs = [
            "", " ", "{", "}", "{\"otp\":\"1\"", "{\"otp\":\"1\"} x", "{\"otp\":\"1\"}}", "{} {}", "{},", "{\"otp\"}",
            // literals
            #"{"a":tru}"#, #"{"a":True}"#, #"{"a":nul}"#, #"{"a":nulll}"#, #"{"a":falsey}"#, #"{"a":undefined}"#,
            // numbers
            #"{"a":01}"#, #"{"a":-01}"#, #"{"a":00}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":+1}"#, #"{"a":-}"#, #"{"a":1e}"#,
            #"{"a":1e+}"#, #"{"a":1.e5}"#, #"{"a":0x10}"#, #"{"a":1_000}"#, #"{"a":--1}"#, #"{"a":1.5.3}"#, #"{"a":1e5e3}"#,
            #"{"a":NaN}"#, #"{"a":Infinity}"#, #"{"a":-Infinity}"#, #"{"a":1 2}"#,
            // strings and escapes
            #"{"a":"\x"}"#, #"{"a":"\U0041"}"#, #"{"a":"\u12G4"}"#, #"{"a":"\u123"}"#, #"{"a":"\u123"#, #"{"a":"\'"}"#,
            #"{"a":"\"#, #"{"a":"abc}"#, #"{"a":"abc"#, "{\"a\":\"\\", #"{"a\":1}"#,
            // surrogates written as escapes
            #"{"a":"\ud800"}"#, #"{"a":"\ud800x"}"#, #"{"a":"\ud800\u0041"}"#, #"{"a":"\ud800\n"}"#, #"{"a":"\ud800\ud800"}"#,
            #"{"a":"\udc00"}"#, #"{"a":"\udfff\ud800"}"#, #"{"a":"\udc00\udc00"}"#, #"{"a":"\ud800\"#, #"{"a":"\ud800\u"}"#,
            #"{"\ud800":1}"#,
            // structure
            #"{"a":1,}"#, #"{"a":[1,]}"#, #"{"a":{"b":1,}}"#, #"{,}"#, #"{"a":[,]}"#, #"{"a":1,,"b":2}"#, #"{"a":[1,,2]}"#,
            #"{"a" 1}"#, #"{"a"::1}"#, #"{"a":}"#, #"{a:1}"#, #"{'a':1}"#, #"{"a":'x'}"#, #"{"a":1 /* c */}"#,
            #"{"a":1} // c"#, "{\"a\":1 # c\n}", #"{"a":[1 2]}"#, #"{"a":{"b"}}"#, #"{"a":[}"#, #"{"a":{]}"#, #"{"a":1]"#, "[1}",
            #"{1:2}"#, #"{"a":1 "b":2}"#, #"{"a":"x" "b":"y"}"#, #"{"a":"x"/}"#, "{\"a\":1}\n\n,",
        ]
        for doc in docs { assertRefused(bytes(doc), .invalid, doc) }
    }

    func testControlCharactersInStrings() {
        for c in Array(UInt8(0)...0x1F) {
            assertRefused(bytes(#"{"otp":"a@b"}"#, [c]), .invalid, "control \(c) in a value")
            assertRefused(bytes(#"{"a@":1}"#, [c]), .invalid, "control \(c) in a name")
        }
        assertValues(bytes(#"{"otp":"a@b"}"#, [0x7F]), [nil, .string("a\u{7F}b"), nil])
    }

    func testInvalidUTF8() {
        let sequences: [(String, [UInt8])] = [
            ("lone continuation", [0x80]), ("lone continuation BF", [0xBF]),
            ("overlong /", [0xC0, 0xAF]), ("overlong C1", [0xC1, 0xBF]), ("overlong 3-byte", [0xE0, 0x80, 0x80]),
            ("overlong 3-byte edge", [0xE0, 0x9F, 0xBF]), ("overlong 4-byte", [0xF0, 0x80, 0x80, 0x80]),
            ("overlong 4-byte edge", [0xF0, 0x8F, 0xBF, 0xBF]),
            ("UTF-8 high surrogate", [0xED, 0xA0, 0x80]), ("UTF-8 low surrogate", [0xED, 0xBF, 0xBF]),
            ("above U+10FFFF", [0xF4, 0x90, 0x80, 0x80]), ("F5", [0xF5, 0x80, 0x80, 0x80]), ("F8", [0xF8, 0x88, 0x80, 0x80, 0x80]),
            ("FE", [0xFE]), ("FF", [0xFF]),
            ("truncated 2", [0xC3]), ("truncated 3", [0xE2, 0x82]), ("truncated 4", [0xF0, 0x9F, 0x98]),
            ("bad continuation", [0xC3, 0x41]), ("bad 3rd byte", [0xE2, 0x82, 0x41]), ("bad 4th byte", [0xF0, 0x9F, 0x98, 0xC0]),
        ]
        for (what, seq) in sequences {
            assertRefused(bytes(#"{"otp":"@"}"#, seq), .invalid, what + " in a value")
            assertRefused(bytes(#"{"x":"@"}"#, seq), .invalid, what + " in a skipped value")
            assertRefused(bytes(#"{"@":1}"#, seq), .invalid, what + " in a name")
            assertRefused(bytes(#"{"otp":"1"}@"#, seq), .invalid, what + " after the object")
            assertRefused(bytes(#"{"otp":"@"#, seq), .invalid, what + " at the end of input")
        }
        // The edges of each range are fine.
        let good: [[UInt8]] = [
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
        ]
        for seq in good {
            assertValues(bytes(#"{"otp":"@"}"#, seq), [nil, .string(String(decoding: seq, as: UTF8.self)), nil])
        }
    }

    func testOtherEncodingsAreRefused() {
        // RFC 8259 §8.1: UTF-8 only (JSONSerialization would read these).
        let utf16le = Array(#"{"otp":"1"}"#.utf8).flatMap { [$0, 0] as [UInt8] }
        assertRefused(utf16le)
        assertRefused([0xFF, 0xFE] + utf16le)
        assertRefused(Array(#"{"otp":"1"}"#.utf8).flatMap { [0, $0] as [UInt8] })
        assertRefused(Array("{}".utf8).flatMap { [$0, 0, 0, 0] as [UInt8] })
    }

    func testFieldsAreDecodedInTheOrderGiven() throws {
        let r = JSONObjectReader(fields: ["b", "a", "missing"])
        XCTAssertEqual(try r.read(bytes(#"{"a":"1","b":null}"#)), [.null, .string("1"), nil])
        XCTAssertEqual(try JSONObjectReader(fields: []).read(bytes(#"{"a":"1"}"#)), [])
    }
}
