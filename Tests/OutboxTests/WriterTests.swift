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

    /// Under sustained writes the WAL starts over once the background has copied nearly all of it:
    /// the writer's own checkpoints copy the few frames left (not the whole WAL at the bound), and
    /// the WAL file stays well under the bound of eight times `checkpointPages` frames.
    func testWriterRestartsTheWALAfterTheBackgroundCopiedMostOfIt() throws {
        let tmp = TempDatabase()
        var options = OutboxOptions()
        options.checkpointPages = 200
        let outbox = try makeOutbox(tmp, options: options)
        let state = outbox.checkpointer.state
        for wave in 0..<20 {
            let group = DispatchGroup()
            for i in 0..<1_000 {
                group.enter()
                let n = wave * 1_000 + i
                outbox.enqueue(otpJob(phone: "+62814\(String(format: "%07d", n))", otp: "\(100000 + n % 900_000)")) { _ in
                    group.leave()
                }
            }
            group.wait()
        }
        let early = state.writerCheckpointsAfterBackfill.load(ordering: .relaxed)
        let atBound = state.writerCheckpointsAtBound.load(ordering: .relaxed)
        let generations = state.generation.load(ordering: .relaxed)
        print("wal-restart: generations \(generations), writer checkpoints after the background \(early), at the bound \(atBound)")
        XCTAssertGreaterThan(generations, 2, "the WAL started over")
        XCTAssertGreaterThan(early, atBound, "after the background: \(early), at the bound: \(atBound)")
        let walBytes = Checkpointer.walBytes(tmp.path)
        let frameBytes = 4_096 + 24
        XCTAssertLessThan(walBytes, Int64(8 * options.checkpointPages * frameBytes), "WAL file \(walBytes) bytes")
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
