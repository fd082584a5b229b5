import Foundation
import RelayCore
import XCTest

@testable import Outbox

/// The status page's chart aggregates on the real SQLite store: tries per minute and outcome,
/// accept → sent and accept → delivered (a delivered receipt) latency buckets.
extension ReceiptStoreTests {
    func testChartSeriesCountTriesPerMinuteAndBothLatencies() throws {
        let db = TempDatabase()
        let outbox = try makeOutbox(db)
        defer { outbox.close() }
        XCTAssertEqual(try outbox.deliveredLatencyHistogram(since: 0)?.total, 0, "no receipts yet")
        let id = try acceptedJob(outbox)
        XCTAssertEqual(
            try record(outbox, status: "delivered", kind: .delivered, at: start + 1_000) { _ in .delivered }.get(),
            .recorded(jobID: id, transition: .delivered, createdAt: start))
        let delivered = try XCTUnwrap(try outbox.deliveredLatencyHistogram(since: start - 60_000))
        XCTAssertEqual(delivered.counts, [0, 0, 0, 0, 1, 0, 0, 0, 0, 0], "1 s after acceptance: under 2.5 s")
        XCTAssertEqual(try outbox.deliveredLatencyHistogram(since: start + 2_000)?.total, 0, "outside the window")
        XCTAssertEqual(try outbox.sentLatencyHistogram(since: start - 60_000).counts[0], 1, "a delivered job was sent")
        XCTAssertEqual(
            try outbox.attemptsPerMinute(since: start - 60_000), [MinuteCount(minute: start / 60_000 * 60_000, outcome: .sent, count: 1)])
        XCTAssertEqual(try outbox.attemptsPerMinute(since: start + 60_000), [])
    }
}
