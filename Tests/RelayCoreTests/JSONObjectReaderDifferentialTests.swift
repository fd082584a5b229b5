import RelayTestSupport
import XCTest

@testable import RelayCore

/// JSONObjectReader against JSONSerialization on a few thousand generated bodies: mutations of the
/// partner example and random nested JSON, from a fixed seed. The exclusions are listed in
/// JSONReaderOracle.swift.
final class JSONObjectReaderDifferentialTests: XCTestCase {
    /// Deterministic, so a failure reproduces.
    private typealias Seeded = SplitMix

    private static let partnerExample = Array(#"{"identifier":"084512340987","otp":"123456","channel":"whatsapp"}"#.utf8)

    /// Bytes that matter to a JSON lexer or to UTF-8.
    private static let interestingBytes: [UInt8] =
        Array("{}[]:,\"\\/ \t\n\r0123456789-+.eEtrufalsnx'#*".utf8)
        + [
            0x00, 0x01, 0x08, 0x1F, 0x7F, 0x80, 0x9F, 0xA0, 0xBB, 0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xDF, 0xE0, 0xE2, 0xED, 0xEF,
            0xF0, 0xF4, 0xF5, 0xFE, 0xFF,
        ]

    private static let snippets: [[UInt8]] =
        [
            #"\u"#, #"\ud83d\ude00"#, #"\ud800"#, #"\udc00"#, #"\u00e9"#, #"\u0000"#, #"\uD800\uDBFF"#, #"\n"#, #"\""#, #"\\"#, #"\/"#,
            ",", ",}", ",]", "null", "true", "false", "1e999", "-1e400", "-0", "01", ".5", "1.", "0.5e-3", "[", "]", "{", "}", "{}",
            "[[[[", "]]]]", "/*x*/", "//", "'a'", "NaN", "Infinity", #""otp":null,"#, #""otp":1,"#, #""otp":"9999","#,
            #""channel":"sms","#, #""identifier":["#, #""otp":{"otp":"1"},"#, "  ", "\t\r\n",
        ].map { Array($0.utf8) } + [
            [0xEF, 0xBB, 0xBF], [0xC3, 0xA9], [0xF0, 0x9F, 0x98, 0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0xE2, 0x82], [0xE2, 0x80, 0xA8], [0xFF, 0xFE], [0x00, 0x00],
        ]

    private func mutate(_ input: [UInt8], _ g: inout Seeded) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...3, using: &g) {
            let at = Int.random(in: 0...b.count, using: &g)
            switch Int.random(in: 0..<8, using: &g) {
            case 0 where at < b.count: b[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &g)
            case 1 where at < b.count: b[at] = Self.interestingBytes.randomElement(using: &g) ?? 0
            case 2: b.insert(Self.interestingBytes.randomElement(using: &g) ?? 0, at: at)
            case 3: b.insert(contentsOf: Self.snippets.randomElement(using: &g) ?? [], at: at)
            case 4 where at < b.count: b.removeSubrange(at..<min(b.count, at + Int.random(in: 1...4, using: &g)))
            case 5: b = Array(b.prefix(at))
            case 6 where at < b.count:
                let end = min(b.count, at + Int.random(in: 1...16, using: &g))
                b.insert(contentsOf: b[at..<end], at: Int.random(in: 0...b.count, using: &g))
            default: if at < b.count { b.remove(at: at) }
            }
        }
        return b
    }

    private static let stringPieces = [
        "084512340987", "123456", "whatsapp", "sms", "email", "a@b.co", "", " ", "x", "José", "日本", "😀", "\u{7F}", "\u{FFFF}",
        "\u{10FFFF}", "e\u{301}", #"\""#, #"\\"#, #"\/"#, #"\b\f\n\r\t"#, #"\u0041"#, #"\u00e9"#, #"\u20ac"#, #"\ud83d\ude00"#,
        #"\uDBFF\uDFFF"#, #"\u0000"#, #"\u001F"#,
    ]
    private static let numbers = [
        "0", "-0", "1", "-1", "42", "3.25", "-0.5", "1e5", "1E-5", "2.5e+10", "0e0", "1e308",
        "123456789012345678901234567890", "1e400", "-2e999", "0.000001",
    ]
    private static let names = ["identifier", "otp", "channel", "x", "", "o\\u0074p", "OTP", "otp "]

    private func randomString(_ g: inout Seeded) -> String {
        "\"" + (0..<Int.random(in: 0...3, using: &g)).map { _ in Self.stringPieces.randomElement(using: &g) ?? "" }.joined() + "\""
    }

    private func ws(_ g: inout Seeded) -> String {
        Int.random(in: 0..<4, using: &g) == 0 ? ["", " ", "\n", "\t ", "\r\n  "].randomElement(using: &g) ?? "" : ""
    }

    private func randomValue(depth: Int, _ g: inout Seeded) -> String {
        // Now and then a long chain, to cross the depth limit.
        if depth == 1, Int.random(in: 0..<40, using: &g) == 0 {
            let n = Int.random(in: 60...70, using: &g)
            return String(repeating: "[", count: n) + String(repeating: "]", count: n)
        }
        let pick = depth > 5 ? Int.random(in: 2..<7, using: &g) : Int.random(in: 0..<7, using: &g)
        switch pick {
        case 0:
            let members = (0..<Int.random(in: 0...4, using: &g)).map { _ in
                "\"" + (Self.names.randomElement(using: &g) ?? "") + "\"" + ws(&g) + ":" + ws(&g) + randomValue(depth: depth + 1, &g)
            }
            return "{" + ws(&g) + members.joined(separator: ws(&g) + "," + ws(&g)) + ws(&g) + "}"
        case 1:
            let items = (0..<Int.random(in: 0...4, using: &g)).map { _ in randomValue(depth: depth + 1, &g) }
            return "[" + ws(&g) + items.joined(separator: "," + ws(&g)) + ws(&g) + "]"
        case 2, 3: return randomString(&g)
        case 4: return Self.numbers.randomElement(using: &g) ?? "0"
        default: return ["true", "false", "null"].randomElement(using: &g) ?? "null"
        }
    }

    private func randomDocument(_ g: inout Seeded) -> [UInt8] {
        let top: String
        if Int.random(in: 0..<8, using: &g) == 0 {
            top = randomValue(depth: 0, &g)
        } else {
            // An object that usually has the webhook's fields, with values of any kind.
            var members = Self.names.filter { _ in Bool.random(using: &g) }.map { name -> String in
                let value = Int.random(in: 0..<3, using: &g) == 0 ? randomValue(depth: 1, &g) : randomString(&g)
                return "\"" + name + "\"" + ws(&g) + ":" + ws(&g) + value
            }
            members.shuffle(using: &g)
            top = "{" + ws(&g) + members.joined(separator: ws(&g) + "," + ws(&g)) + ws(&g) + "}"
        }
        return Array((ws(&g) + top + ws(&g)).utf8)
    }

    func testAgreesWithJSONSerialization() {
        var g = Seeded(seed: 0x0715_2024)
        var docs: [[UInt8]] = []
        for _ in 0..<2500 { docs.append(mutate(Self.partnerExample, &g)) }
        for i in 0..<2500 {
            let doc = randomDocument(&g)
            docs.append(i % 2 == 0 ? doc : mutate(doc, &g))
        }
        var objects = 0, notObjects = 0, invalid = 0, excluded = 0, withFields = 0, failures = 0
        for doc in docs {
            let verdict = JSONReaderOracle.compare(doc)
            let problem = verdict.problem ?? JSONReaderOracle.parseProblem(doc, verdict: verdict)
            if let problem {
                failures += 1
                if failures <= 20 {
                    XCTFail(
                        "\(problem)\n  input: \(doc.map { String(format: "%02x", $0) }.joined()) "
                            + "\(String(decoding: doc, as: UTF8.self).debugDescription)"
                    )
                }
            }
            if verdict.excluded { excluded += 1 }
            switch JSONReaderOracle.readerOutcome(doc) {
            case .invalid: invalid += 1
            case .notAnObject: notObjects += 1
            case .duplicateMember: objects += 1
            case .object(let v):
                objects += 1
                if v.contains(where: { if case .string? = $0 { true } else { false } }) { withFields += 1 }
            }
        }
        XCTAssertEqual(failures, 0)
        // The generators must keep exercising every outcome, or this test proves little.
        XCTAssertEqual(docs.count, 5000)
        XCTAssertGreaterThan(objects, 1500, "objects")
        XCTAssertGreaterThan(withFields, 1000, "objects with a string field")
        XCTAssertGreaterThan(invalid, 1500, "invalid")
        XCTAssertGreaterThan(notObjects, 100, "not objects")
        XCTAssertLessThan(excluded, 1000, "excluded")
        print(
            "differential: \(docs.count) documents: \(objects) objects (\(withFields) with a string field), \(notObjects) not objects, "
                + "\(invalid) invalid, \(excluded) under an exclusion"
        )
    }

    /// The otp_submission fuzz seeds, which hold what fuzzing found (regress_*), agree too.
    func testFuzzSeedsAgree() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fuzz/corpus/otp_submission").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertGreaterThan(files.count, 30)
        for name in files {
            let doc = Array(try Data(contentsOf: dir.appendingPathComponent(name)))
            let verdict = JSONReaderOracle.compare(doc)
            XCTAssertNil(verdict.problem ?? JSONReaderOracle.parseProblem(doc, verdict: verdict), name)
        }
        // A number JSONSerialization cannot hold, then a NUL: rewriting the number must not shorten
        // the input, or JSONSerialization guesses UTF-16 for "0\0".
        XCTAssertNil(JSONReaderOracle.compare(Array("1e662071\u{0}".utf8)).problem)
    }

    /// The oracle's exclusions each occur and are what they claim (a tolerated difference is tested).
    func testExclusionsAreExplicit() {
        func verdict(_ s: String) -> JSONReaderOracle.Verdict { JSONReaderOracle.compare(Array(s.utf8)) }
        for (doc, why) in [
            (#"{"otp":"1",}"#, "trailing comma"), (#"{"otp":[1,{"a":2,},]}"#, "nested trailing commas"),
            (#"{"otp":1e400}"#, "number range"),
            ("{\"otp\":" + String(repeating: "[", count: 65) + String(repeating: "]", count: 65) + "}", "depth"),
            ("{\"\u{FEFF}otp\":\"1\"}", "BOM in a name"),
        ] {
            let v = verdict(doc)
            XCTAssertNil(v.problem, why)
            XCTAssertTrue(v.excluded, why)
            XCTAssertFalse(JSONReaderOracle.readerOutcome(Array(doc.utf8)).sameAs(JSONReaderOracle.foundationOutcome(Array(doc.utf8))), why)
        }
        let utf16 = Array(#"{"otp":"1"}"#.utf8).flatMap { [$0, 0] as [UInt8] }
        XCTAssertTrue(JSONReaderOracle.compare(utf16).excluded)
        XCTAssertEqual(JSONReaderOracle.foundationOutcome(utf16), .object([nil, .string("1"), nil]))
        // Lone surrogates and the rest need none: both refuse.
        for doc in [#"{"otp":"\ud800"}"#, #"{"otp":"\udc00"}"#, "{\"otp\":\"\u{1}\"}", #"{"otp":01}"#] {
            let v = verdict(doc)
            XCTAssertNil(v.problem, doc)
            XCTAssertFalse(v.excluded, doc)
            XCTAssertEqual(JSONReaderOracle.foundationOutcome(Array(doc.utf8)), .invalid, doc)
        }
    }
}
