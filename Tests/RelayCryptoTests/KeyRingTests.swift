import XCTest

@testable import RelayCrypto

/// The sealed-payload header (`"OKR" | version | key id`) and opening by key id.
final class KeyRingTests: XCTestCase {
    let a = DataKey.generate()
    let b = DataKey.generate()
    let ad = Array("01JOBID".utf8)
    let plain = Array("+6281234567890\u{0}123456".utf8)

    func testSealsUnderCurrentWithItsKeyID() throws {
        let ring = KeyRing(current: b, previous: [a], index: a)
        let sealed = try ring.seal(plain, associatedData: ad)
        XCTAssertEqual(Array(sealed.prefix(4)), [0x4F, 0x4B, 0x52, 1])
        XCTAssertEqual(KeyRing.keyID(of: sealed), b.keyID)
        XCTAssertEqual(b.keyIDHex, String(b.fingerprint.prefix(16)))
        XCTAssertEqual(sealed.count, KeyRing.headerLength + DataKey.overhead + plain.count)
        XCTAssertEqual(try ring.open(sealed, associatedData: ad), plain)
        // The key itself, without the header, does not open it: the header is authenticated.
        XCTAssertThrowsError(try b.open(Array(sealed.dropFirst(KeyRing.headerLength)), associatedData: ad))
    }

    func testOlderKeyOpensByItsID() throws {
        let old = try KeyRing(current: a).seal(plain, associatedData: ad)
        XCTAssertEqual(try KeyRing(current: b, previous: [a]).open(old, associatedData: ad), plain)
        XCTAssertThrowsError(try KeyRing(current: b).open(old, associatedData: ad), "a ring without the key refuses")
    }

    /// A payload from before key ids (nonce | ciphertext | tag under the bare key) still opens.
    func testHeaderlessPayloadOpensWithTheIndexKey() throws {
        let legacy = try a.seal(plain, associatedData: ad)
        XCTAssertNil(KeyRing.keyID(of: legacy).flatMap { KeyRing(current: b, previous: [a]).key(id: $0) })
        XCTAssertEqual(try KeyRing(current: a).open(legacy, associatedData: ad), plain)
        XCTAssertEqual(try KeyRing(current: b, previous: [a], index: a).open(legacy, associatedData: ad), plain)
        XCTAssertEqual(try KeyRing(current: b, previous: [a]).open(legacy, associatedData: ad), plain)
        XCTAssertThrowsError(try KeyRing(current: b).open(legacy, associatedData: ad))
        XCTAssertThrowsError(try KeyRing(current: a).open(legacy, associatedData: Array("01OTHER".utf8)))
    }

    func testWrongKeyIDIsRefused() throws {
        let ring = KeyRing(current: b, previous: [a])
        var sealed = try ring.seal(plain, associatedData: ad)
        // Naming the other key of the ring: that key does not open it, nor does the header verify.
        sealed.replaceSubrange(4..<12, with: a.keyID)
        XCTAssertThrowsError(try ring.open(sealed, associatedData: ad))
        // Naming no key of the ring.
        sealed.replaceSubrange(4..<12, with: [UInt8](repeating: 7, count: 8))
        XCTAssertThrowsError(try ring.open(sealed, associatedData: ad))
    }

    func testTamperedHeaderIsRefused() throws {
        let ring = KeyRing(current: b, previous: [a])
        let sealed = try ring.seal(plain, associatedData: ad)
        for i in 0..<KeyRing.headerLength {
            var t = sealed
            t[i] ^= 0x01
            XCTAssertThrowsError(try ring.open(t, associatedData: ad), "byte \(i) of the header")
        }
        // Stripping the header (a downgrade to the old format) does not open either.
        XCTAssertThrowsError(try ring.open(Array(sealed.dropFirst(KeyRing.headerLength)), associatedData: ad))
        var body = sealed
        body[body.count - 1] ^= 0x80
        XCTAssertThrowsError(try ring.open(body, associatedData: ad))
        XCTAssertThrowsError(try ring.open(Array(sealed.prefix(20)), associatedData: ad))
    }

    func testRingDefaults() {
        let ring = KeyRing(current: a, previous: [a, b])
        XCTAssertEqual(ring.previous.map(\.keyID), [b.keyID], "the current key is not also previous")
        XCTAssertEqual(ring.index.keyID, b.keyID, "the index key defaults to the oldest key")
        XCTAssertEqual(KeyRing(current: a).index.keyID, a.keyID)
        XCTAssertEqual(ring.openingKeys.map(\.keyID), [a.keyID, b.keyID])
        XCTAssertNil(KeyRing(current: a, previous: [b], staged: b).staged, "a staged key already in the ring is dropped")
        XCTAssertEqual(KeyRing(current: a, previous: [b], staged: b).openingKeys.map(\.keyID), [a.keyID, b.keyID])
        let c = DataKey.generate()
        let staged = KeyRing(current: a, previous: [b], staged: c)
        XCTAssertEqual(staged.index.keyID, b.keyID, "a staged key is never the index key")
        XCTAssertEqual(staged.openingKeys.map(\.keyID), [a.keyID, b.keyID, c.keyID])
        XCTAssertEqual(staged.key(id: c.keyID)?.keyID, c.keyID)
    }
}
