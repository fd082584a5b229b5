import Foundation
import XCTest

@testable import RelayCrypto

/// Known-answer tests: FIPS 180-2 SHA-256 and RFC 4231 HMAC-SHA256.
final class DigestTests: XCTestCase {
    func testSHA256KnownAnswers() {
        XCTAssertEqual(
            Crypto.hex(Crypto.sha256([UInt8]())),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(
            Crypto.hex(Crypto.sha256(Array("abc".utf8))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            Crypto.hex(Crypto.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // A non-contiguous collection gives the same digest.
        XCTAssertEqual(Crypto.sha256(Array("abc".utf8).lazy.map { $0 }), Crypto.sha256(Array("abc".utf8)))
    }

    func testHMACRFC4231() {
        // Test case 1
        XCTAssertEqual(
            Crypto.hex(Crypto.hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        // Test case 2
        XCTAssertEqual(
            Crypto.hex(Crypto.hmacSHA256(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 3
        XCTAssertEqual(
            Crypto.hex(Crypto.hmacSHA256(key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")
        // Empty key and message (a well-known value).
        XCTAssertEqual(
            Crypto.hex(Crypto.hmacSHA256(key: [], data: [UInt8]())),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
        // Test case 7: long key and long message
        XCTAssertEqual(
            Crypto.hex(
                Crypto.hmacSHA256(
                    key: [UInt8](repeating: 0xaa, count: 131),
                    data: Array(
                        ("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed "
                            + "before being used by the HMAC algorithm.").utf8))),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
        // Test case 6: key longer than the block size
        XCTAssertEqual(
            Crypto.hex(
                Crypto.hmacSHA256(
                    key: [UInt8](repeating: 0xaa, count: 131),
                    data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func testConcurrentDigests() {
        let expected = Crypto.hmacSHA256(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))
        DispatchQueue.concurrentPerform(iterations: 1_000) { _ in
            XCTAssertEqual(Crypto.hmacSHA256(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8)), expected)
        }
    }

    func testConstantTimeEquals() {
        XCTAssertTrue(Crypto.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(Crypto.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(Crypto.constantTimeEquals([1, 2, 3], [1, 2]))
        XCTAssertTrue(Crypto.constantTimeEquals([], []))
    }

    func testRandomAndHex() {
        let a = Crypto.randomBytes(32), b = Crypto.randomBytes(32)
        XCTAssertEqual(a.count, 32)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(Crypto.randomBytes(0), [])
        XCTAssertEqual(Crypto.hex([0x00, 0x0f, 0xa0, 0xff]), "000fa0ff")
        XCTAssertEqual(Crypto.unhex("000FA0ff"), [0x00, 0x0f, 0xa0, 0xff])
        XCTAssertNil(Crypto.unhex("abc"))
        XCTAssertNil(Crypto.unhex("zz"))
    }

    func testBase64() {
        let cases: [(String, String)] = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in cases {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(Base64.decode(encoded), Array(plain.utf8))
        }
        XCTAssertEqual(Base64.decode(" Zm9v\n"), Array("foo".utf8))
        XCTAssertNil(Base64.decode("Zm9"))
        XCTAssertNil(Base64.decode("Z=9v"))
        XCTAssertNil(Base64.decode("Zm9v!A=="))
    }
}

/// `HMACKey` (prepared pad states; `Crypto.hmacSHA256` uses it too) against RFC 4231 and against
/// RFC 2104 written out with plain SHA-256.
final class HMACKeyTests: XCTestCase {
    /// H((K ^ opad) || H((K ^ ipad) || m)), K padded to the 64-byte block (hashed first if longer).
    private func reference(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var k = key.count > 64 ? Crypto.sha256(key) : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        let inner = Crypto.sha256(k.map { $0 ^ 0x36 } + message)
        return Crypto.sha256(k.map { $0 ^ 0x5c } + inner)
    }

    func testRFC4231Case2() {
        let key = HMACKey(Array("Jefe".utf8))
        XCTAssertEqual(
            Crypto.hex(key.mac("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testLongKeyRFC4231Case6() {
        let key = HMACKey([UInt8](repeating: 0xaa, count: 131))
        XCTAssertEqual(
            Crypto.hex(key.mac(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func testMatchesOneShotForManyKeysAndMessagesAndParts() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let key = (0..<Int.random(in: 0...100, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let message = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let prepared = HMACKey(key)
            XCTAssertEqual(prepared.mac(message), reference(key: key, message: message))
            XCTAssertEqual(Crypto.hmacSHA256(key: key, data: message), reference(key: key, message: message))
            let cut = Int.random(in: 0...message.count, using: &rng)
            let parts = prepared.mac { update in
                Array(message[..<cut]).withUnsafeBytes(update)
                Array(message[cut...]).withUnsafeBytes(update)
            }
            XCTAssertEqual(parts, reference(key: key, message: message))
            // The same key object gives the same answer again (its states are not consumed).
            XCTAssertEqual(prepared.mac(message), parts)
        }
    }
}
