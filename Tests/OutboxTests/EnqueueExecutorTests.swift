import Foundation
import RelayCore
import XCTest

@testable import Outbox

/// Stands in for an event loop: collects what the writer hands over and runs it on request, on
/// the test's thread.
private final class CollectingExecutor: CompletionExecutor, @unchecked Sendable {
    private let lock = NSLock()
    private var batches: [[any DeferredCompletion]] = []

    func execute(_ batch: [any DeferredCompletion]) {
        lock.lock()
        batches.append(batch)
        lock.unlock()
    }

    var handOvers: Int { lock.lock(); defer { lock.unlock() }; return batches.count }

    /// Runs everything handed over so far; returns how many completions ran.
    func runAll() -> Int {
        lock.lock()
        let taken = batches
        batches = []
        lock.unlock()
        for b in taken { for c in b { c.complete() } }
        return taken.reduce(0) { $0 + $1.count }
    }
}

final class EnqueueExecutorTests: XCTestCase {
    /// With an executor, completions wait for it (not the writer thread), each executor gets its
    /// own completions in commit order, and a batch's completions arrive in one hand-over.
    func testCompletionsRunOnTheCallersExecutorInCommitOrder() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let a = CollectingExecutor(), b = CollectingExecutor()
        let results = Box<[(executor: String, index: Int, id: String)]>([])
        let me = pthread_self()
        for i in 0..<200 {
            let (executor, name) = i % 2 == 0 ? (a, "a") : (b, "b")
            outbox.enqueue(otpJob(phone: "+62812\(String(format: "%07d", i))", otp: "\(100000 + i)"), executor: executor) { r in
                XCTAssertTrue(pthread_equal(pthread_self(), me) != 0, "completion ran off the executor's thread")
                results.with { $0.append((name, i, try! r.get().id)) }
            }
        }
        // Everything commits; nothing completes until the executors run.
        let deadline = Date().addingTimeInterval(10)
        while outbox.writerStatistics.items < 200 && Date() < deadline { usleep(1_000) }
        XCTAssertEqual(outbox.writerStatistics.items, 200)
        XCTAssertTrue(results.get.isEmpty)
        // The writer counts a batch's items before it hands their completions over: wait for the hand-overs.
        var ranA = 0, ranB = 0
        let handOverDeadline = Date().addingTimeInterval(10)
        while (ranA < 100 || ranB < 100) && Date() < handOverDeadline {
            ranA += a.runAll()
            ranB += b.runAll()
            if ranA < 100 || ranB < 100 { usleep(1_000) }
        }
        XCTAssertEqual(ranA, 100)
        XCTAssertEqual(ranB, 100)
        XCTAssertLessThanOrEqual(a.handOvers, outbox.writerStatistics.batches, "one hand-over per executor per batch")
        let got = results.get
        XCTAssertEqual(got.filter { $0.executor == "a" }.map(\.index), Array(stride(from: 0, to: 200, by: 2)))
        XCTAssertEqual(got.filter { $0.executor == "b" }.map(\.index), Array(stride(from: 1, to: 200, by: 2)))
        XCTAssertEqual(Set(got.map(\.id)).count, 200)
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM jobs") { $0.int(0) }, [200])
    }

    /// A batch that cannot commit reports `.unavailable` through the executor too.
    func testFailedBatchIsReportedThroughTheExecutor() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        _ = try outbox.enqueueAndWait(otpJob(otp: "100000")).get()
        try outbox.setMaxPageCount(try outbox.pageCount())
        let executor = CollectingExecutor()
        let outcomes = Box<[Result<EnqueueResult, OutboxError>]>([])
        for i in 0..<500 {
            outbox.enqueue(otpJob(phone: "+62813\(String(format: "%07d", i))", otp: "\(200000 + i)"), executor: executor) { r in
                outcomes.with { $0.append(r) }
            }
        }
        let deadline = Date().addingTimeInterval(10)
        var ran = 0
        while ran < 500 && Date() < deadline {
            ran += executor.runAll()
            usleep(1_000)
        }
        XCTAssertEqual(ran, 500)
        let failures = outcomes.get.filter { $0.failure == .unavailable }.count
        XCTAssertGreaterThan(failures, 0)
        let acked = outcomes.get.compactMap { try? $0.get().id }
        XCTAssertEqual(acked.count + failures, 500)
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM jobs") { $0.int(0) }, [acked.count + 1])
    }
}
