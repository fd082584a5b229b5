import Foundation
import RelayCore
import XCTest

/// `ConfigReader`, the one reader of the service configuration and its `delivery` section.
final class ConfigReaderTests: XCTestCase {
    func reader(_ text: String, path: String = "") throws -> ConfigReader {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        return ConfigReader(object, path: path)
    }

    func assertError(_ text: String, _ expected: String, _ read: (inout ConfigReader) throws -> Void, line: UInt = #line) throws {
        var r = try reader(text, path: "section")
        XCTAssertThrowsError(try read(&r), line: line) { e in
            XCTAssertEqual((e as? ConfigError).map { "\($0.key): \($0.problem)" }, expected, line: line)
        }
    }

    func testDurationsTakeTheUnitFromTheKey() throws {
        var r = try reader(#"{"lease_ms": 45000, "grace_seconds": 7}"#)
        XCTAssertEqual(try r.duration("lease_ms", in: 1_000...3_600_000), .milliseconds(45_000))
        XCTAssertEqual(try r.duration("grace_seconds", in: 1...600), .seconds(7))
        XCTAssertNil(try r.duration("absent_ms", in: 1...2))
        try r.rejectUnknownKeys()
        try assertError(#"{"lease_ms": 10}"#, "section.lease_ms: must be an integer from 1000 to 3600000") {
            _ = try $0.duration("lease_ms", in: 1_000...3_600_000)
        }
    }

    func testErrorsNameTheKey() throws {
        try assertError(#"{"n": 1.5}"#, "section.n: must be an integer from 1 to 9") { _ = try $0.int("n", in: 1...9) }
        try assertError(#"{"n": "3"}"#, "section.n: must be a number") { _ = try $0.int("n", in: 1...9) }
        try assertError(#"{"n": true}"#, "section.n: must be a number") { _ = try $0.int("n", in: 1...9) }
        try assertError(#"{"b": 1}"#, "section.b: must be true or false") { _ = try $0.bool("b") }
        try assertError(#"{"s": ["a", 2]}"#, "section.s[1]: must be a string") { _ = try $0.strings("s") }
        try assertError(#"{"o": [{}, 3]}"#, "section.o[1]: must be an object") { _ = try $0.objects("o") }
        try assertError(#"{"m": {"k": 1}}"#, "section.m.k: must be a string") { _ = try $0.stringMap("m") }
        try assertError(#"{"a": 1, "typo": 2}"#, "section.typo: unknown key") {
            _ = try $0.int("a", in: 0...1)
            try $0.rejectUnknownKeys()
        }
        try assertError(#"{"x": "v", "x_env": "E"}"#, "section.x: give one of x, x_file, x_env") {
            _ = try $0.secret("x", environment: ["E": "s"])
        }
    }

    func testNestedObjectsCarryTheirPath() throws {
        var r = try reader(#"{"http": {"list": [{"u": 1}]}, "flag": false}"#)
        XCTAssertEqual(try r.bool("flag"), false)
        var http = try XCTUnwrap(try r.object("http"))
        XCTAssertEqual(http.path, "http")
        let items = try XCTUnwrap(try http.objects("list"))
        XCTAssertEqual(items.first?.name("u"), "http.list[0].u")
        XCTAssertThrowsError(try ConfigReader.parse(data: Data("[1]".utf8))) { XCTAssertEqual(($0 as? ConfigError)?.key, "") }
    }
}
