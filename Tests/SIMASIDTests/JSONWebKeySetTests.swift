import XCTest
@testable import SIMASID

final class JSONWebKeySetTests: XCTestCase {
    func testMintedSetKeepsOnlyRS256SigningKeysAndSaysWhyForTheRest() throws {
        let url = TokenFixtures.shared.directory.appendingPathComponent("jwks-initial.json")
        let set = try JSONWebKeySet.parse(Array(try Data(contentsOf: url)))
        XCTAssertEqual(set.keys.keys.sorted(), ["key-a"], "\(set.refused)")
        XCTAssertEqual(set.keys["key-a"]?.bits, 2048)
        XCTAssertEqual(set.refused["key-weak"]?.check, .keyTooSmall)
        XCTAssertEqual(set.refused["key-ec"]?.check, .keyNotUsable)
        XCTAssertEqual(set.refused["key-enc"]?.check, .keyNotUsable)
    }
}
