import XCTest
import RelayCrypto
@testable import Outbox

/// The lookup columns must not change with the implementation: stored `recipient_hash` and
/// `dedupe_key` values are compared with new ones across restarts and upgrades.
final class OutboxKeysTests: XCTestCase {
    func testKeysAreTheDocumentedHMACs() {
        let keys = OutboxKeys(dataKey: testKey)
        let recipientKey = testKey.derive(label: "recipient-hash"), dedupeKey = testKey.derive(label: "dedupe")
        XCTAssertEqual(keys.recipientHash("+6284512340987"),
                       Crypto.hmacSHA256(key: recipientKey, data: Array("+6284512340987".utf8)))
        XCTAssertEqual(keys.dedupeKey(channel: "whatsapp", recipient: "+6284512340987", secret: Array("482915".utf8)),
                       Crypto.hmacSHA256(key: dedupeKey, data: Array("whatsapp\u{0}+6284512340987\u{0}482915".utf8)))
        XCTAssertEqual(Crypto.hex(keys.recipientHash("a@b.co")).count, 64)
    }
}
