import XCTest

@testable import RelayCrypto

final class DataKeyTests: XCTestCase {
    private func h(_ s: String) -> [UInt8] { Crypto.unhex(s)! }

    /// NIST GCM specification (McGrew & Viega), AES-256 test cases 13–16.
    func testGCMKnownAnswers() throws {
        let zeroKey = try DataKey(bytes: [UInt8](repeating: 0, count: 32))
        let zeroIV = [UInt8](repeating: 0, count: 12)
        // Test case 13: empty plaintext.
        XCTAssertEqual(
            try zeroKey.seal([], associatedData: [], nonce: zeroIV),
            zeroIV + h("530f8afbc74536b9a963b4f1c4cb738b"))
        // Test case 14: one zero block.
        XCTAssertEqual(
            try zeroKey.seal([UInt8](repeating: 0, count: 16), associatedData: [], nonce: zeroIV),
            zeroIV + h("cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919"))
        // Test case 16: associated data and a partial last block.
        let key = try DataKey(bytes: h("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        let iv = h("cafebabefacedbaddecaf888")
        let plain = h(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let expected =
            iv
            + h("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662")
            + h("76fc6ece0f4e1768cddf8853bb2d551b")
        XCTAssertEqual(try key.seal(plain, associatedData: aad, nonce: iv), expected)
        XCTAssertEqual(try key.open(expected, associatedData: aad), plain)
        XCTAssertEqual(try zeroKey.open(zeroIV + h("530f8afbc74536b9a963b4f1c4cb738b"), associatedData: []), [])
    }

    func testRoundTripWithRandomNonce() throws {
        let key = DataKey.generate()
        let plain = Array("123456|+6284512340987".utf8)
        let a = try key.seal(plain, associatedData: Array("job-1".utf8))
        let b = try key.seal(plain, associatedData: Array("job-1".utf8))
        XCTAssertEqual(a.count, plain.count + DataKey.overhead)
        XCTAssertNotEqual(a, b, "nonces must differ")
        XCTAssertEqual(try key.open(a, associatedData: Array("job-1".utf8)), plain)
    }

    func testTamperWrongAADAndWrongKeyFail() throws {
        let key = DataKey.generate()
        let sealed = try key.seal(Array("654321".utf8), associatedData: Array("job-1".utf8))
        XCTAssertThrowsError(try key.open(sealed, associatedData: Array("job-2".utf8))) {
            XCTAssertEqual($0 as? CryptoError, .authenticationFailed)
        }
        var flipped = sealed
        flipped[14] ^= 1
        XCTAssertThrowsError(try key.open(flipped, associatedData: Array("job-1".utf8)))
        var badTag = sealed
        badTag[badTag.count - 1] ^= 0x80
        XCTAssertThrowsError(try key.open(badTag, associatedData: Array("job-1".utf8)))
        XCTAssertThrowsError(try DataKey.generate().open(sealed, associatedData: Array("job-1".utf8)))
        XCTAssertThrowsError(try key.open([1, 2, 3], associatedData: [])) {
            XCTAssertEqual($0 as? CryptoError, .sealedTooShort)
        }
    }

    func testKeyParsingAndDerive() throws {
        let key = DataKey.generate()
        let again = try DataKey(base64: key.base64)
        XCTAssertEqual(again.derive(label: "dedupe"), key.derive(label: "dedupe"))
        XCTAssertNotEqual(key.derive(label: "dedupe"), key.derive(label: "ratelimit"))
        XCTAssertEqual(key.derive(label: "x"), Crypto.hmacSHA256(key: key.bytes, data: Array("otp-relay/x".utf8)))
        XCTAssertThrowsError(try DataKey(bytes: [UInt8](repeating: 1, count: 31)))
        XCTAssertThrowsError(try DataKey(base64: "not base64!"))
        XCTAssertThrowsError(try DataKey(base64: Base64.encode([UInt8](repeating: 1, count: 16))))
    }

    func testErrorDescriptionsCarryNoSecret() {
        let all: [CryptoError] = [.invalidKeyLength(7), .invalidBase64, .sealedTooShort, .authenticationFailed]
        for e in all { XCTAssertFalse(e.description.isEmpty) }
    }

    func testConcurrentUse() throws {
        let key = DataKey.generate()
        DispatchQueue.concurrentPerform(iterations: 2000) { i in
            let plain = Array("otp-\(i)".utf8), aad = Array("id-\(i)".utf8)
            let sealed = try! key.seal(plain, associatedData: aad)
            XCTAssertEqual(try! key.open(sealed, associatedData: aad), plain)
        }
    }
}
