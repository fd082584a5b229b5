import Foundation
import RelayCore
import XCTest

@testable import Outbox

final class WriterTests: XCTestCase {
    /// Another process holding the write lock past the busy timeout: `.unavailable`, then recovery.
    func testLockedBeyondBusyTimeoutIsUnavailableThenRecovers() throws {
        let tmp = TempDatabase()
        var options = OutboxOptions()
        options.busyTimeout = .milliseconds(100)
        let outbox = try makeOutbox(tmp, options: options)
        let other = try SQLiteDatabase(path: tmp.path, configuration: .init())
        try other.execute("BEGIN IMMEDIATE")
        let result = outbox.enqueueAndWait(otpJob())
        XCTAssertEqual(result.failure, .unavailable)
        XCTAssertTrue(result.failure?.detail.contains("busy") ?? false)
        try other.execute("COMMIT")
        XCTAssertNotNil(try outbox.enqueueAndWait(otpJob()).get())
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM jobs") { $0.int(0) }, [1])
    }

    /// The background checkpointer copies the WAL into the database file while the store runs.
    func testCheckpointerCopiesTheWALIntoTheDatabaseFile() throws {
        let tmp = TempDatabase()
        var options = OutboxOptions()
        options.checkpointPages = 20
        let outbox = try makeOutbox(tmp, options: options)
        let before = (try? FileManager.default.attributesOfItem(atPath: tmp.path)[.size] as? Int) ?? 0
        let group = DispatchGroup()
        for i in 0..<3_000 {
            group.enter()
            outbox.enqueue(otpJob(phone: "+62814\(String(format: "%07d", i))", otp: "\(100000 + i)")) { _ in group.leave() }
        }
        group.wait()
        var size = 0
        for _ in 0..<300 {
            size = (try? FileManager.default.attributesOfItem(atPath: tmp.path)[.size] as? Int) ?? 0
            if size > before + 200_000 { break }
            usleep(10_000)
        }
        XCTAssertGreaterThan(size, before + 200_000)
    }

    /// A blocking operation called from a commit observer (the writer thread) runs inline.
    func testStoreCallFromObserverDoesNotDeadlock() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let claimed = Box<[String]>([])
        let done = DispatchSemaphore(value: 0)
        outbox.addCommitObserver { [unowned outbox] in
            if let jobs = try? outbox.claim(limit: 10, lease: .milliseconds(1_000), now: start), !jobs.isEmpty {
                claimed.with { $0 += jobs.map(\.id) }
                done.signal()
            }
        }
        let id = try outbox.enqueueAndWait(otpJob()).get().id
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(claimed.get, [id])
    }
}
