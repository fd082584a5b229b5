import Foundation
import RelayCore
import RelayCrypto
import XCTest

@testable import Outbox

/// The store with a key ring: payloads from before key ids still open, older keys open their
/// jobs, re-sealing moves them under the current key, and a ring without a needed key is refused.
final class KeyRingStoreTests: XCTestCase {
    let keyB = try! DataKey(bytes: [UInt8](repeating: 9, count: 32))

    private func payloads(_ tmp: TempDatabase) throws -> [(String, [UInt8])] {
        try query(tmp.path, "SELECT id, payload FROM jobs ORDER BY id") { ($0.string(0), $0.blob(1)!) }
    }

    private func write(_ tmp: TempDatabase, _ sql: String, _ bind: (SQLiteStatement) -> Void = { _ in }) throws {
        let db = try SQLiteDatabase(path: tmp.path, configuration: .init())
        _ = try db.run(sql, bind)
    }

    /// Rewrites every payload as before key ids: `nonce | ciphertext | tag` under the bare key.
    private func makeHeaderless(_ tmp: TempDatabase) throws {
        for (id, sealed) in try payloads(tmp) {
            let plain = try KeyRing(current: testKey).open(sealed, associatedData: Array(id.utf8))
            let legacy = try testKey.seal(plain, associatedData: Array(id.utf8))
            try write(tmp, "UPDATE jobs SET payload = :p WHERE id = :id") {
                $0.bind(legacy, to: ":p")
                $0.bind(id, to: ":id")
            }
        }
    }

    func testHeaderlessPayloadsOpenAndAreResealedUnderTheCurrentKey() throws {
        let tmp = TempDatabase()
        let first = try makeOutbox(tmp)
        let a = try first.enqueueAndWait(otpJob(otp: "111111")).get()
        let b = try first.enqueueAndWait(otpJob(phone: "+6284512340988", otp: "222222")).get()
        first.close()
        try makeHeaderless(tmp)
        XCTAssertTrue(try payloads(tmp).allSatisfy { KeyRing.keyID(of: $0.1) == nil }, "no header (2^-32 odds of a look-alike)")

        let ring = KeyRing(current: keyB, previous: [testKey], index: testKey)
        let outbox = try SQLiteOutbox(path: tmp.path, keys: ring, clock: ManualClock(start), logger: .silent)
        XCTAssertEqual(try outbox.payloadsUnderOlderKeys(), 2)
        var pauses = 0
        let progress = try outbox.resealOldPayloads(batchSize: 1) { pauses += 1 }
        XCTAssertEqual(progress, ResealProgress(resealed: 2, unreadable: 0, left: 0))
        XCTAssertEqual(pauses, 2, "one batch of one, twice")
        XCTAssertEqual(try payloads(tmp).map { KeyRing.keyID(of: $0.1) }, [keyB.keyID, keyB.keyID])
        let claimed = try outbox.claim(limit: 10, lease: .seconds(30), now: start)
        XCTAssertEqual(claimed.map(\.id), [a.id, b.id])
        XCTAssertEqual(claimed.map { String(decoding: $0.secret, as: UTF8.self) }, ["111111", "222222"])
        XCTAssertEqual(claimed.first?.recipient, "+6284512340987")
        outbox.close()
        // The new key alone now opens them (the database records it as current).
        XCTAssertNoThrow(try SQLiteOutbox(path: tmp.path, keys: KeyRing(current: keyB, index: testKey), logger: .silent).close())
    }

    func testOlderKeyOpensWithoutResealingAndNewJobsUseTheCurrentKey() throws {
        let tmp = TempDatabase()
        let first = try makeOutbox(tmp)
        _ = try first.enqueueAndWait(otpJob(otp: "111111")).get()
        first.close()
        let outbox = try SQLiteOutbox(path: tmp.path, keys: KeyRing(current: keyB, previous: [testKey]), logger: .silent)
        _ = try outbox.enqueueAndWait(otpJob(phone: "+6284512340988", otp: "222222")).get()
        XCTAssertEqual(Set(try payloads(tmp).map { KeyRing.keyID(of: $0.1) }), [testKey.keyID, keyB.keyID])
        let claimed = try outbox.claim(limit: 10, lease: .seconds(30), now: start)
        XCTAssertEqual(Set(claimed.map { String(decoding: $0.secret, as: UTF8.self) }), ["111111", "222222"])
        // A job being sent is not re-sealed; it counts as left.
        XCTAssertEqual(try outbox.resealOldPayloads(batchSize: 10) {}, ResealProgress(resealed: 0, unreadable: 0, left: 1))
        outbox.close()
    }

    func testRingWithoutTheKeyOfSomeJobsIsRefused() throws {
        let tmp = TempDatabase()
        let first = try makeOutbox(tmp)
        _ = try first.enqueueAndWait(otpJob()).get()
        first.close()
        try SQLiteOutbox(path: tmp.path, keys: KeyRing(current: keyB, previous: [testKey]), logger: .silent).close()
        XCTAssertThrowsError(try SQLiteOutbox(path: tmp.path, keys: KeyRing(current: keyB, index: testKey), logger: .silent)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("cannot open 1 job(s)"), text)
            XCTAssertTrue(text.contains(testKey.keyIDHex), text)
        }
        XCTAssertEqual(try query(tmp.path, "SELECT status FROM jobs") { $0.string(0) }, ["queued"])
        let state = try XCTUnwrap(try StoreFactory.storedKeyState(.sqlite(path: tmp.path)))
        XCTAssertEqual(state.payloadsByKeyID, [testKey.keyIDHex: 1])
        XCTAssertEqual(state.fingerprint, keyB.fingerprint)
    }

    /// The lookup HMACs were made with the first key: a ring naming another index key is refused.
    func testRingWithAnotherIndexKeyIsRefused() throws {
        let tmp = TempDatabase()
        try makeOutbox(tmp).close()
        XCTAssertEqual(
            try query(tmp.path, "SELECT (SELECT fingerprint FROM data_keys), (SELECT fingerprint FROM data_key_index)") {
                "\($0.string(0))|\($0.string(1))"
            },
            ["\(testKey.fingerprint)|\(testKey.fingerprint)"])
        let wrong = KeyRing(current: keyB, previous: [testKey], index: keyB)
        XCTAssertThrowsError(try SQLiteOutbox(path: tmp.path, keys: wrong, logger: .silent)) { error in
            XCTAssertTrue(String(describing: error).contains("index key"), String(describing: error))
        }
        XCTAssertNoThrow(try SQLiteOutbox(path: tmp.path, keys: KeyRing(current: keyB, previous: [testKey]), logger: .silent).close())
    }

    /// Two nodes mid-rotation on one database: node A promoted key C (seals under it), node B
    /// still runs the staged ring (current testKey, C staged). B opens A's jobs, its start does not
    /// record its older current key over C, and its re-sealing leaves A's payloads under C.
    func testAStagedRingOpensWhatAPromotedRingSealedAndNeverMovesItBack() throws {
        let tmp = TempDatabase()
        let keyC = try DataKey(bytes: [UInt8](repeating: 0xC3, count: 32))
        try makeOutbox(tmp).close()
        let promoted = KeyRing(current: keyC, previous: [testKey], index: testKey)
        let stagedRing = KeyRing(current: testKey, index: testKey, staged: keyC)
        let a = try SQLiteOutbox(path: tmp.path, keys: promoted, clock: ManualClock(start), logger: .silent)
        _ = try a.enqueueAndWait(otpJob(otp: "111111")).get()
        a.close()
        let b = try SQLiteOutbox(path: tmp.path, keys: stagedRing, clock: ManualClock(start), logger: .silent)
        _ = try b.enqueueAndWait(otpJob(phone: "+6284512340988", otp: "222222")).get()
        XCTAssertEqual(
            try query(tmp.path, "SELECT fingerprint FROM data_keys") { $0.string(0) }, [keyC.fingerprint],
            "the database keeps the promoted key")
        XCTAssertEqual(try b.resealOldPayloads(batchSize: 10) {}, ResealProgress(resealed: 0, unreadable: 0, left: 1))
        XCTAssertEqual(Set(try payloads(tmp).map { KeyRing.keyID(of: $0.1) }), [keyC.keyID, testKey.keyID], "C's job stays under C")
        let claimed = try b.claim(limit: 10, lease: .seconds(30), now: start)
        XCTAssertEqual(Set(claimed.map { String(decoding: $0.secret, as: UTF8.self) }), ["111111", "222222"])
        b.close()
        // A ring that never got C is refused: the database records C.
        XCTAssertThrowsError(try SQLiteOutbox(path: tmp.path, keys: KeyRing(current: testKey), logger: .silent))
    }
}
