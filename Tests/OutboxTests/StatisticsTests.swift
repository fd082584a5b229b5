import Foundation
import RelayCore
import XCTest

@testable import Outbox

final class StatisticsTests: XCTestCase {
    private func run(
        _ outbox: SQLiteOutbox, otp: String, latency: Int64, outcome: AttemptOutcome,
        transition: JobTransition, provider: String = "twilio"
    ) throws -> String {
        let id = try outbox.enqueueAndWait(otpJob(otp: otp, channel: .sms)).get().id
        let job = try outbox.claim(limit: 1, lease: .milliseconds(10_000), now: start)[0]
        let report = AttemptReport(
            outcome: outcome, provider: provider, startedAt: start + 100,
            finishedAt: start + 100 + latency, httpStatus: outcome == .sent ? 201 : 500,
            errorClass: outcome == .sent ? nil : "http_5xx",
            errorMessage: outcome == .sent ? nil : "HTTP 500")
        XCTAssertEqual(
            try outbox.finish(
                id: id, token: job.token, transition: transition, attempt: report,
                now: start + 100 + latency), .applied)
        return id
    }

    func testAttemptSummaryAndRecentFailures() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        for i in 1...10 {
            _ = try run(outbox, otp: "10000\(i)", latency: Int64(i * 10), outcome: .sent, transition: .sent)
        }
        let failed = try run(outbox, otp: "200000", latency: 5, outcome: .permanent, transition: .dead(reason: "HTTP 500"))
        let summary = try outbox.attemptSummary(since: start)
        XCTAssertEqual(summary.count, 2)
        let sent = try XCTUnwrap(summary.first { $0.outcome == .sent })
        XCTAssertEqual([sent.count, Int(sent.p50Millis), Int(sent.p95Millis), Int(sent.maxMillis)], [10, 50, 100, 100])
        XCTAssertEqual(sent.channel, "sms")
        XCTAssertEqual(sent.provider, "twilio")
        XCTAssertTrue(try outbox.attemptSummary(since: start + 1_000_000).isEmpty)
        let failures = try outbox.recentFailures(limit: 10)
        XCTAssertEqual(failures.map(\.jobID), [failed])
        XCTAssertEqual(failures.first?.errorMessage, "HTTP 500")
    }

    func testPurgeDeletesOnlyFinishedOldJobsWithTheirAttempts() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let sent = try run(outbox, otp: "111111", latency: 1, outcome: .sent, transition: .sent)
        let dead = try run(outbox, otp: "222222", latency: 1, outcome: .permanent, transition: .dead(reason: "x"))
        let queued = try outbox.enqueueAndWait(otpJob(otp: "333333")).get().id
        XCTAssertEqual(try outbox.purge(createdBefore: start, limit: 100), 0, "created_at < before")
        XCTAssertEqual(try outbox.purge(createdBefore: start + 1, limit: 100), 1)
        XCTAssertNil(try outbox.job(id: sent))
        XCTAssertTrue(try outbox.attempts(jobID: sent).isEmpty, "attempts go with their job")
        XCTAssertNotNil(try outbox.job(id: dead))
        XCTAssertNotNil(try outbox.job(id: queued))
    }

    func testRecipientFilter() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let a = try outbox.enqueueAndWait(otpJob(phone: "+6281111111111", otp: "111111")).get().id
        _ = try outbox.enqueueAndWait(otpJob(phone: "+6282222222222", otp: "111111")).get().id
        let hash = testKey.derive(label: "recipient").hmac("+6281111111111")
        XCTAssertEqual(try outbox.jobs(matching: JobFilter(createdFrom: start, recipientHash: hash)).map(\.id), [a])
    }
}
