import Foundation
import RelayCore
import RelayCrypto
import XCTest

@testable import Outbox

final class DedupeTests: XCTestCase {
    func testRepeatIsRecognisedAfterRestart() throws {
        let tmp = TempDatabase()
        var outbox: SQLiteOutbox? = try makeOutbox(tmp, clock: ManualClock(start))
        let first = try outbox!.enqueueAndWait(otpJob(at: start)).get()
        outbox = nil
        let clock = ManualClock(start + 30_000)
        let again = try makeOutbox(tmp, clock: clock)
        XCTAssertEqual(
            try again.enqueueAndWait(otpJob(at: start + 30_000)).get(),
            EnqueueResult(id: first.id, status: .queued, duplicate: true))
        XCTAssertFalse(try again.enqueueAndWait(otpJob(at: start + 60_001)).get().duplicate)
    }

    func testWindowPassedBeforeRestartIsNotLoaded() throws {
        let tmp = TempDatabase()
        _ = try makeOutbox(tmp, clock: ManualClock(start)).enqueueAndWait(otpJob(at: start, window: 1_000)).get()
        let later = try makeOutbox(tmp, clock: ManualClock(start + 2_000))
        XCTAssertFalse(try later.enqueueAndWait(otpJob(at: start + 2_000, window: 1_000)).get().duplicate)
    }

    /// A batch that fails leaves no dedupe entry: the retried request becomes a job, not a "repeat"
    /// of a job that was never stored.
    func testFailedBatchLeavesNoDedupeEntry() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        _ = try outbox.enqueueAndWait(otpJob(otp: "100000")).get()
        try outbox.setMaxPageCount(try outbox.pageCount())
        var rejected: NewJob?
        for i in 0..<5_000 {
            let job = otpJob(phone: "+62815\(String(format: "%07d", i))", otp: "123456")
            if outbox.enqueueAndWait(job).failure == .unavailable { rejected = job; break }
        }
        let job = try XCTUnwrap(rejected, "the store filled up")
        try outbox.setMaxPageCount(1_000_000)
        let retried = try outbox.enqueueAndWait(job).get()
        XCTAssertFalse(retried.duplicate)
        XCTAssertEqual(try outbox.enqueueAndWait(job).get(), EnqueueResult(id: retried.id, status: .queued, duplicate: true))
    }

    func testIndexEvictsByWindowAndSize() {
        let index = DedupeIndex(maxEntries: 2)
        // Real job ids: the index keeps them packed into two words.
        let gen = JobIDGenerator()
        let ida = gen.next(), idb = gen.next(), idc = gen.next(), idd = gen.next()
        let k1 = DedupeKey([UInt8](repeating: 1, count: 32))!, k2 = DedupeKey([UInt8](repeating: 2, count: 32))!
        let k3 = DedupeKey([UInt8](repeating: 3, count: 32))!
        index.insert(k1, id: ida, createdAt: 0, until: 100)
        index.insert(k2, id: idb, createdAt: 10, until: 110)
        index.commit()
        XCTAssertEqual(index.lookup(k1, since: 0), ida)
        XCTAssertNil(index.lookup(k1, since: 1), "outside the caller's window")
        index.evict(now: 100)
        XCTAssertNil(index.lookup(k1, since: 0))
        XCTAssertEqual(index.lookup(k2, since: 0), idb)
        index.insert(k1, id: idc, createdAt: 50, until: 150)
        index.insert(k3, id: idd, createdAt: 60, until: 160)
        index.rollback()
        XCTAssertNil(index.lookup(k1, since: 0))
        XCTAssertNil(index.lookup(k3, since: 0))
        XCTAssertEqual(index.count, 1)
        index.insert(k1, id: idc, createdAt: 50, until: 150)
        index.insert(k3, id: idd, createdAt: 60, until: 160)
        index.commit()
        index.evict(now: 0)
        XCTAssertEqual(index.count, 2, "the oldest goes past maxEntries")
        XCTAssertNil(index.lookup(k2, since: 0))
        XCTAssertNil(DedupeKey([1, 2, 3]))
    }
}

final class OutboxKeysTests: XCTestCase {
    func testKeysSeparateFieldsAndPurposes() throws {
        let keys = OutboxKeys(dataKey: testKey)
        let a = keys.dedupeKey(channel: "sms", recipient: "+6281", secret: Array("23456".utf8))
        let b = keys.dedupeKey(channel: "sms", recipient: "+62812", secret: Array("3456".utf8))
        XCTAssertNotEqual(a, b, "field boundaries are part of the key")
        XCTAssertNotEqual(keys.recipientHash("+6281"), OutboxKeys(dataKey: .generate()).recipientHash("+6281"))
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let job = NewJob.otp(
            channel: .sms, recipient: "+6281234567890", otp: "123456", keys: keys,
            dedupeWindow: .milliseconds(60_000), createdAt: start, expiresAt: start + 300_000)
        let first = try outbox.enqueueAndWait(job).get()
        XCTAssertTrue(try outbox.enqueueAndWait(job).get().duplicate)
        let found = try outbox.jobs(matching: JobFilter(createdFrom: start, recipientHash: keys.recipientHash("+6281234567890")))
        XCTAssertEqual(found.map(\.id), [first.id])
    }

    /// The lookup columns must not change with the implementation: stored `recipient_hash` and
    /// `dedupe_key` values are compared with new ones across restarts and upgrades.
    func testKeysAreTheDocumentedHMACs() {
        let keys = OutboxKeys(dataKey: testKey)
        let recipientKey = testKey.derive(label: "recipient-hash"), dedupeKey = testKey.derive(label: "dedupe")
        XCTAssertEqual(
            keys.recipientHash("+6284512340987"),
            Crypto.hmacSHA256(key: recipientKey, data: Array("+6284512340987".utf8)))
        XCTAssertEqual(
            keys.dedupeKey(channel: "whatsapp", recipient: "+6284512340987", secret: Array("482915".utf8)),
            Crypto.hmacSHA256(key: dedupeKey, data: Array("whatsapp\u{0}+6284512340987\u{0}482915".utf8)))
        XCTAssertEqual(Crypto.hex(keys.recipientHash("a@b.co")).count, 64)
    }
}
