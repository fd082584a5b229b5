import Foundation
import Outbox
import RelayCore
import RelayTestSupport
import XCTest

@testable import Delivery

/// Workers hand tries to the finish queue and move on: the tries must all be recorded, fenced,
/// durable once `shutdown` returns, and resubmitted when the store could not commit them.
final class EngineFinishBatchTests: XCTestCase {
    private func enqueue(_ h: EngineHarness, _ n: Int) throws -> [String] {
        try (0..<n).map { try h.enqueue(channel: .sms, to: "+62811\(String(format: "%08d", $0))") }
    }

    private func isFinished(_ e: DeliveryEvent) -> Bool {
        if case .finished = e { return true }
        return false
    }

    func testManyWorkersFinishingConcurrentlyLoseNoTry() throws {
        let h = try EngineHarness()
        let n = 1_500
        _ = try enqueue(h, n)
        // Some tries fail (retry later, on the manual clock: they stay queued), the rest are sent.
        h.script.queue(
            "sms", .retryable(reason: "busy", retryAfterMillis: nil, status: 503),
            .retryable(reason: "busy", retryAfterMillis: nil, status: 503),
            .nextRoute(reason: "not reachable", status: 400))
        h.start(h.configuration(ladders: [.sms: ["sms"]], workers: 32))
        h.events.wait(for: n, timeout: 120) { self.isFinished($0) }
        let tries = h.script.sent.count
        XCTAssertEqual(tries, n, "each job tried once (no duplicate sends)")
        let counts = try h.outbox.countsByStatus(channel: nil)
        XCTAssertEqual(counts[.sent], n - 3)
        XCTAssertEqual((counts[.queued] ?? 0) + (counts[.dead] ?? 0), 3)
        XCTAssertEqual(counts[.sending], 0)
        XCTAssertEqual(try attemptsRows(h), tries, "an attempts row per try")
    }

    func testOutcomesAreDurableWhenShutdownReturns() throws {
        let h = try EngineHarness()
        let n = 400
        let ids = try enqueue(h, n)
        let pool = h.start(h.configuration(ladders: [.sms: ["sms"]], workers: 16))
        // Stop while tries are still being committed: shutdown flushes them before it returns.
        let deadline = Date().addingTimeInterval(60)
        while h.script.sent.count < n && Date() < deadline { usleep(200) }
        XCTAssertTrue(pool.shutdown(by: .now + .seconds(30)))
        h.outbox.close()

        let reopened = try SQLiteOutbox(path: h.dir.file("outbox.sqlite"), dataKey: engineKey, clock: h.clock, logger: .silent)
        defer { reopened.close() }
        let counts = try reopened.countsByStatus(channel: nil)
        XCTAssertEqual(counts[.sent], n)
        XCTAssertEqual(counts[.sending], 0)
        for id in ids.prefix(20) { XCTAssertEqual(try reopened.attempts(jobID: id).map(\.outcome), [.sent]) }
        XCTAssertEqual(h.events.all.filter(isFinished).count, n)
    }

    func testLateFinishOfARescuedLeaseIsFenced() throws {
        let h = try EngineHarness()
        h.script.holdNext("sms")
        h.start(
            h.configuration(
                ladders: [.sms: ["sms"]], workers: 2,
                lease: .seconds(5)))
        let id = try h.enqueue(channel: .sms)
        XCTAssertEqual(h.script.entered.wait(timeout: .now() + 20), .success)
        h.advance(5_000)
        h.events.wait { $0 == .rescued(count: 1) }
        XCTAssertEqual(h.events.finished(id), [.sent])
        h.script.gate.signal()
        h.events.wait { $0 == .leaseLost(jobID: id) }
        XCTAssertEqual(try h.outbox.attempts(jobID: id).map(\.errorClass), ["lease_expired", nil])
    }

    /// A full store fails the batch holding a worker's finish: the pool submits it again (every
    /// `FinishQueue.retryInterval` while the lease lasts) and it is recorded once space returns.
    func testFinishThatCouldNotCommitIsSubmittedAgain() throws {
        let h = try EngineHarness()
        // The try needs new pages: more than the free pages the migrations' table rebuilds leave.
        let long = String(repeating: "gateway overloaded; ", count: 2_000)
        h.script.queue("sms", .retryable(reason: long, retryAfterMillis: nil, status: 503))
        h.script.holdNext("sms")
        h.start(h.configuration(ladders: [.sms: ["sms"]], workers: 1))
        let id = try h.enqueue(channel: .sms)
        XCTAssertEqual(h.script.entered.wait(timeout: .now() + 20), .success)
        try h.outbox.setMaxPageCount(try h.outbox.pageCount())
        let failedBefore = h.outbox.writerStatistics.failedBatches
        h.script.gate.signal()

        let deadline = Date().addingTimeInterval(30)
        while h.outbox.writerStatistics.failedBatches < failedBefore + 2 && Date() < deadline { usleep(10_000) }
        XCTAssertGreaterThanOrEqual(h.outbox.writerStatistics.failedBatches, failedBefore + 2, "submitted again")
        XCTAssertEqual(try h.outbox.job(id: id)?.status, .sending, "not recorded yet, still leased")
        XCTAssertEqual(try h.outbox.attempts(jobID: id).count, 0)

        try h.outbox.setMaxPageCount(1_000_000)
        let transitions = h.events.finished(id)
        XCTAssertEqual(transitions.count, 1)
        if case .retry = transitions.first {} else { XCTFail("expected a retry, got \(transitions)") }
        let record = try XCTUnwrap(try h.outbox.job(id: id))
        XCTAssertEqual(record.status, .queued)
        XCTAssertEqual(record.attempts, 1)
        XCTAssertEqual(try h.outbox.attempts(jobID: id).map(\.errorMessage), [long])
    }

    private func attemptsRows(_ h: EngineHarness) throws -> Int {
        try h.outbox.attemptSummary(since: 0).reduce(0) { $0 + $1.count }
    }
}
