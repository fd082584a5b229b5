import Foundation
import RelayCore
import XCTest

@testable import Outbox

/// A database that cannot grow (`PRAGMA max_page_count` on the writer stands in for a full disk).
final class FullDiskTests: XCTestCase {
    func testFullStoreAnswersUnavailableKeepsNothingUnacknowledgedAndRecovers() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        _ = try outbox.enqueueAndWait(otpJob(otp: "100000")).get()
        let pages = try outbox.pageCount()
        XCTAssertEqual(try outbox.setMaxPageCount(pages), pages)

        let acked = Box<[String]>([])
        let failures = Box<Int>(0)
        let group = DispatchGroup()
        for i in 0..<2_000 {
            group.enter()
            outbox.enqueue(otpJob(phone: "+62813\(String(format: "%07d", i))", otp: "\(200000 + i)")) { r in
                switch r {
                case .success(let e): acked.with { $0.append(e.id) }
                case .failure(let e):
                    XCTAssertEqual(e, .unavailable)
                    XCTAssertFalse(e.description.contains("+62813"), "no recipient in error text")
                    failures.with { $0 += 1 }
                }
                group.leave()
            }
        }
        group.wait()
        XCTAssertGreaterThan(failures.get, 0, "a full store refuses")
        XCTAssertGreaterThan(outbox.writerStatistics.failedBatches, 0)
        // Exactly the acknowledged jobs exist (plus the first): nothing partial, nothing unacknowledged.
        let stored = Set(try query(tmp.path, "SELECT id FROM jobs") { $0.string(0) })
        XCTAssertEqual(stored.count, acked.get.count + 1)
        XCTAssertTrue(Set(acked.get).isSubset(of: stored))

        // Space returns: the same writer goes on by itself.
        try outbox.setMaxPageCount(1_000_000)
        let after = try outbox.enqueueAndWait(otpJob(otp: "300000")).get()
        XCTAssertFalse(after.duplicate)
        XCTAssertNotNil(try outbox.job(id: after.id))
    }

    func testFullStoreFailsDeliveryWritesToo() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let id = try outbox.enqueueAndWait(otpJob()).get().id
        var filled = 0
        try outbox.setMaxPageCount(try outbox.pageCount())
        // Fill the remaining free space on the last pages.
        while filled < 10_000, case .success = outbox.enqueueAndWait(otpJob(otp: "\(400000 + filled)", dedupe: false)) {
            filled += 1
        }
        XCTAssertEqual(outbox.enqueueAndWait(otpJob(otp: "555555", dedupe: false)).failure, .unavailable)
        // Reads still work while writes are refused.
        XCTAssertEqual(try outbox.job(id: id)?.status, .queued)
        try outbox.setMaxPageCount(1_000_000)
        XCTAssertEqual(try outbox.claim(limit: 100, lease: .milliseconds(1000), now: start).count, filled + 1)
    }
}
