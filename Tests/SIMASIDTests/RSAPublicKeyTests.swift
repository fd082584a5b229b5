import Dispatch
import RelayCore
import Synchronization
import XCTest

@testable import SIMASID

final class RSAPublicKeyTests: XCTestCase {
    private let tokens = TokenFixtures.shared

    private func jwk(_ kid: String) throws -> (n: [UInt8], e: [UInt8]) {
        let url = tokens.directory.appendingPathComponent("jwks-rotated.json")
        let doc = try JSONParser.parse(Array(try Data(contentsOf: url)))
        let key = try XCTUnwrap(doc["keys"]?.arrayValue?.first { $0["kid"]?.stringValue == kid })
        return (try Base64URL.decode(Array(key["n"]!.stringValue!.utf8)), try Base64URL.decode(Array(key["e"]!.stringValue!.utf8)))
    }

    private func split(_ token: String) throws -> (input: [UInt8], signature: [UInt8]) {
        let parts = token.split(separator: ".")
        return (Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count)), try Base64URL.decode(Array(parts[2].utf8)))
    }

    func testVerifiesPyJWTSignature() throws {
        let (n, e) = try jwk("key-a")
        let key = try RSAPublicKey(modulus: n, exponent: e)
        XCTAssertEqual(key.bits, 2048)
        let (input, signature) = try split(tokens["valid"])
        XCTAssertTrue(key.verifyRS256(signature: signature, message: input))
        XCTAssertFalse(key.verifyRS256(signature: signature, message: input + [0x20]))
        XCTAssertFalse(key.verifyRS256(signature: Array(signature.dropLast()), message: input), "short signature")
        XCTAssertFalse(key.verifyRS256(signature: [0] + signature, message: input), "long signature")
        let other = try RSAPublicKey(modulus: try jwk("key-b").n, exponent: e)
        XCTAssertFalse(other.verifyRS256(signature: signature, message: input), "another key")
    }

    func testRefusesWeakOrOddKeys() throws {
        let (n, e) = try jwk("key-weak")
        XCTAssertThrowsError(try RSAPublicKey(modulus: n, exponent: e)) {
            XCTAssertEqual($0 as? RSAPublicKey.KeyError, .tooSmall(bits: 1024, minimum: 2048))
        }
        let (n2, _) = try jwk("key-a")
        XCTAssertNoThrow(try RSAPublicKey(modulus: [0, 0] + n2, exponent: [0, 1, 0, 1]), "leading zero octets are tolerated")
        XCTAssertThrowsError(try RSAPublicKey(modulus: n2, exponent: [1]))
        XCTAssertThrowsError(try RSAPublicKey(modulus: n2, exponent: [2]))
        XCTAssertThrowsError(try RSAPublicKey(modulus: n2, exponent: []))
        XCTAssertThrowsError(try RSAPublicKey(modulus: n2, exponent: [UInt8](repeating: 1, count: 9)))
        XCTAssertThrowsError(try RSAPublicKey(modulus: Array(n2.dropLast()) + [n2.last! & 0xFE], exponent: [1, 0, 1]), "even modulus")
        XCTAssertThrowsError(try RSAPublicKey(modulus: [0xFF] + [UInt8](repeating: 0xFF, count: 1024), exponent: [1, 0, 1])) {
            XCTAssertEqual($0 as? RSAPublicKey.KeyError, .tooLarge(bits: 8200, maximum: 8192))
        }
    }

    func testOneKeyVerifiesFromManyThreads() throws {
        let (n, e) = try jwk("key-a")
        let key = try RSAPublicKey(modulus: n, exponent: e)
        let (input, signature) = try split(tokens["valid"])
        let good = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 400) { i in
            let ok = key.verifyRS256(signature: signature, message: i % 2 == 0 ? input : input + [0])
            if ok == (i % 2 == 0) { good.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(good.load(ordering: .relaxed), 400)
    }
}
