import RelayCore
import XCTest

@testable import SIMASID

final class JSONWebKeySetTests: XCTestCase {
    private func minted() throws -> JSONValue {
        let url = TokenFixtures.shared.directory.appendingPathComponent("jwks-rotated.json")
        return try JSONParser.parse(Array(try Data(contentsOf: url)))
    }

    private func rsaKey(_ kid: String) throws -> [String: JSONValue] {
        try XCTUnwrap(try minted()["keys"]?.arrayValue?.first { $0["kid"]?.stringValue == kid }?.objectValue)
    }

    private func parse(_ keys: [[String: JSONValue]]) throws -> JSONWebKeySet {
        try JSONWebKeySet.parse(Array(JSONValue.object(["keys": .array(keys.map { .object($0) })]).jsonText.utf8))
    }

    func testMintedSetKeepsOnlyRS256SigningKeysAndSaysWhyForTheRest() throws {
        let url = TokenFixtures.shared.directory.appendingPathComponent("jwks-initial.json")
        let set = try JSONWebKeySet.parse(Array(try Data(contentsOf: url)))
        XCTAssertEqual(set.keys.keys.sorted(), ["key-a"], "\(set.refused)")
        XCTAssertEqual(set.keys["key-a"]?.bits, 2048)
        XCTAssertEqual(set.refused["key-weak"]?.check, .keyTooSmall)
        XCTAssertEqual(set.refused["key-ec"]?.check, .keyNotUsable)
        XCTAssertEqual(set.refused["key-enc"]?.check, .keyNotUsable)
    }

    func testUseAlgAndKeyOpsAreOptionalButMustFitWhenPresent() throws {
        var bare = try rsaKey("key-a")
        bare["use"] = nil
        bare["alg"] = nil
        XCTAssertNotNil(try parse([bare]).keys["key-a"], "use and alg are optional")
        var wrongAlg = bare
        wrongAlg["alg"] = .string("RS512")
        XCTAssertEqual(try parse([wrongAlg]).refused["key-a"]?.check, .keyNotUsable)
        var ops = bare
        ops["key_ops"] = .array([.string("encrypt")])
        XCTAssertEqual(try parse([ops]).refused["key-a"]?.check, .keyNotUsable)
        ops["key_ops"] = .array([.string("verify")])
        XCTAssertNotNil(try parse([ops]).keys["key-a"])
        var noKid = bare
        noKid["kid"] = nil
        let set = try parse([noKid])
        XCTAssertTrue(set.keys.isEmpty)
        XCTAssertEqual(set.withoutKeyID, 1)
    }

    func testTwoSigningKeysUnderOneKidAreBothRefused() throws {
        var a = try rsaKey("key-a")
        var b = try rsaKey("key-b")
        a["kid"] = .string("same")
        b["kid"] = .string("same")
        let set = try parse([a, b])
        XCTAssertNil(set.keys["same"])
        XCTAssertEqual(set.refused["same"]?.check, .keyNotUsable)
    }

    func testSigningKeyWinsOverAnUnusableKeyWithTheSameKid() throws {
        var enc = try rsaKey("key-enc")
        enc["kid"] = .string("key-a")
        XCTAssertNotNil(try parse([enc, try rsaKey("key-a")]).keys["key-a"])
        XCTAssertNotNil(try parse([try rsaKey("key-a"), enc]).keys["key-a"])
    }

    func testBadDocumentsFail() {
        XCTAssertThrowsError(try JSONWebKeySet.parse(Array("not json".utf8)))
        XCTAssertThrowsError(try JSONWebKeySet.parse(Array(#"{"keys": {}}"#.utf8)))
        XCTAssertThrowsError(try JSONWebKeySet.parse(Array(#"{"kty": "RSA"}"#.utf8)))
        let many = "{\"keys\": [" + Array(repeating: "{}", count: JSONWebKeySet.maxKeys + 1).joined(separator: ",") + "]}"
        XCTAssertThrowsError(try JSONWebKeySet.parse(Array(many.utf8)))
    }
}
