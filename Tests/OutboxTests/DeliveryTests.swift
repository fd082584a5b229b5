import Foundation
import RelayCore
import XCTest

@testable import Outbox

final class DeliveryTests: XCTestCase {
    private func report(
        _ o: AttemptOutcome, provider: String = "meta", at t: Int64 = start + 10,
        error: String? = nil
    ) -> AttemptReport {
        AttemptReport(
            outcome: o, provider: provider, startedAt: t - 5, finishedAt: t, httpStatus: 200,
            providerMessageID: "wamid.1", errorClass: error.map { _ in "http_5xx" }, errorMessage: error)
    }

    /// The claim, sent and fencing scenarios run on this store in `SQLiteConformanceTests`; this
    /// checks what only the SQLite file shows: a sent job's payload is gone from the table.
    func testSentLeavesNoPayloadInTheFile() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let id = try outbox.enqueueAndWait(otpJob()).get().id
        let job = try outbox.claim(limit: 1, lease: .milliseconds(30_000), now: start)[0]
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM jobs WHERE payload IS NOT NULL") { $0.int(0) }, [1])
        XCTAssertEqual(try outbox.finish(id: id, token: job.token, transition: .sent, attempt: report(.sent), now: start + 10), .applied)
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM jobs WHERE payload IS NOT NULL") { $0.int(0) }, [0])
    }

    func testTokensStayFreshAcrossRestarts() throws {
        let tmp = TempDatabase()
        var outbox: SQLiteOutbox? = try makeOutbox(tmp, clock: ManualClock(start))
        let id = try outbox!.enqueueAndWait(otpJob()).get().id
        let old = try outbox!.claim(limit: 1, lease: .milliseconds(1_000), now: start)[0]
        _ = try outbox!.rescueExpiredLeases(now: start + 2_000)
        outbox = nil
        // Even with a clock that went backwards, a new lease never reuses an older token.
        let again = try makeOutbox(tmp, clock: ManualClock(start - 60_000))
        let fresh = try again.claim(limit: 1, lease: .milliseconds(1_000), now: start + 2_000)[0]
        XCTAssertEqual(fresh.id, id)
        XCTAssertGreaterThan(fresh.token, old.token)
    }

    func testRetryNextRouteDeadAndReplay() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let woke = DispatchSemaphore(value: 0)
        outbox.addCommitObserver { woke.signal() }
        let id = try outbox.enqueueAndWait(otpJob()).get().id
        XCTAssertEqual(woke.wait(timeout: .now() + 5), .success, "an enqueue wakes the workers")
        var job = try outbox.claim(limit: 1, lease: .milliseconds(30_000), now: start)[0]
        XCTAssertEqual(
            try outbox.finish(
                id: id, token: job.token, transition: .retry(runAt: start + 2_000),
                attempt: report(.retryable, error: "HTTP 503"), now: start + 10), .applied)
        XCTAssertEqual(woke.wait(timeout: .now() + 5), .success, "a retry wakes the workers")
        var r = try XCTUnwrap(try outbox.job(id: id))
        XCTAssertEqual(
            [r.status.rawValue, String(r.attempts), String(r.runAt), r.lastError ?? ""],
            ["queued", "1", String(start + 2_000), "HTTP 503"])
        XCTAssertTrue(try outbox.claim(limit: 1, lease: .milliseconds(30_000), now: start + 1_999).isEmpty)
        job = try outbox.claim(limit: 1, lease: .milliseconds(30_000), now: start + 2_000)[0]
        XCTAssertEqual(
            try outbox.finish(
                id: id, token: job.token, transition: .nextRoute(step: 1, runAt: start + 2_100),
                attempt: report(.nextRoute, error: "not on WhatsApp"), now: start + 2_010), .applied)
        job = try outbox.claim(limit: 1, lease: .milliseconds(30_000), now: start + 2_100)[0]
        XCTAssertEqual(job.routeStep, 1)
        XCTAssertEqual(job.attempts, 2)
        var fallback = report(.permanent, provider: "twilio", error: "invalid number")
        fallback.channel = "sms"
        XCTAssertEqual(
            try outbox.finish(
                id: id, token: job.token, transition: .dead(reason: "invalid number"),
                attempt: fallback, now: start + 2_200), .applied)
        r = try XCTUnwrap(try outbox.job(id: id))
        XCTAssertEqual(r.status, .dead)
        XCTAssertEqual(r.lastError, "invalid number")
        XCTAssertTrue(r.hasPayload, "dead jobs keep the payload until expiry for replay")
        let attempts = try outbox.attempts(jobID: id)
        XCTAssertEqual(attempts.map(\.outcome), [.retryable, .nextRoute, .permanent])
        XCTAssertEqual(attempts.map(\.routeStep), [0, 0, 1])
        XCTAssertEqual(attempts.map(\.channel), ["whatsapp", "whatsapp", "sms"])

        let results = try outbox.replay(
            ids: [id, "01ZZZZZZZZZZZZZZZZZZZZZZZZ"], actor: "ops@bank", reason: "provider outage",
            now: start + 3_000)
        XCTAssertEqual(results.map(\.result), [.replayed, .notFound])
        r = try XCTUnwrap(try outbox.job(id: id))
        XCTAssertEqual(r.status, .queued)
        XCTAssertEqual(r.routeStep, 0)
        XCTAssertEqual(
            try query(tmp.path, "SELECT actor, reason FROM replays") { [$0.string(0), $0.string(1)] },
            [["ops@bank", "provider outage"]])
        XCTAssertEqual(
            try outbox.replay(ids: [id], actor: "ops", reason: "again", now: start + 3_001).map(\.result),
            [.notDead(.queued)])
        XCTAssertEqual(try outbox.claim(limit: 1, lease: .milliseconds(30_000), now: start + 3_000)[0].secret, Array("482915".utf8))
    }

    func testExpiryErasesPayloadAndReplayRefusesExpired() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let queued = try outbox.enqueueAndWait(otpJob(otp: "111111", validity: 1_000)).get().id
        let dead = try outbox.enqueueAndWait(otpJob(otp: "222222", validity: 2_000)).get().id
        let live = try outbox.enqueueAndWait(otpJob(otp: "333333", validity: 10_000)).get().id
        let claimed = try outbox.claim(limit: 3, lease: .milliseconds(500), now: start)
        let deadJob = try XCTUnwrap(claimed.first { $0.id == dead })
        _ = try outbox.finish(
            id: dead, token: deadJob.token, transition: .dead(reason: "rejected"),
            attempt: report(.permanent, error: "rejected"), now: start + 1)
        XCTAssertEqual(try outbox.releaseLeases(tokens: [deadJob.token], now: start + 2), 2, "the other two go back")
        XCTAssertEqual(try outbox.expireDue(now: start + 999), 0)
        XCTAssertEqual(try outbox.expireDue(now: start + 2_000), 2)
        for id in [queued, dead] {
            let r = try XCTUnwrap(try outbox.job(id: id))
            XCTAssertEqual(r.status, .expired)
            XCTAssertFalse(r.hasPayload)
        }
        XCTAssertEqual(try outbox.job(id: dead)?.lastError, "rejected")
        XCTAssertEqual(try outbox.job(id: live)?.status, .queued)
        XCTAssertEqual(try outbox.replay(ids: [dead], actor: "ops", reason: "r", now: start + 2_001).map(\.result), [.expired])
        XCTAssertFalse(tmp.fileBytes().contains(Array("111111".utf8)))
    }

    func testClaimExpiresStaleJobsInsteadOfHandingThemOut() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let id = try outbox.enqueueAndWait(otpJob(validity: 1_000)).get().id
        XCTAssertTrue(try outbox.claim(limit: 5, lease: .milliseconds(1_000), now: start + 1_000).isEmpty)
        XCTAssertEqual(try outbox.job(id: id)?.status, .expired)
        XCTAssertEqual(try outbox.job(id: id)?.hasPayload, false)
    }

    func testWorkerFinishExpired() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let id = try outbox.enqueueAndWait(otpJob()).get().id
        let job = try outbox.claim(limit: 1, lease: .milliseconds(1_000), now: start)[0]
        XCTAssertEqual(
            try outbox.finish(id: id, token: job.token, transition: .expired, attempt: report(.expired), now: start + 1), .applied)
        XCTAssertEqual(try outbox.job(id: id)?.status, .expired)
        XCTAssertEqual(try outbox.job(id: id)?.hasPayload, false)
    }

    func testUnreadablePayloadGoesDead() throws {
        let tmp = TempDatabase()
        var outbox: SQLiteOutbox? = try makeOutbox(tmp)
        let id = try outbox!.enqueueAndWait(otpJob()).get().id
        outbox = nil
        // Another key is refused at open (the database records its key's fingerprint) ...
        XCTAssertThrowsError(try makeOutbox(tmp, key: .generate())) { e in
            XCTAssertTrue(String(describing: e).contains("does not match this database"), "\(e)")
        }
        XCTAssertEqual(try makeOutbox(tmp).job(id: id)?.status, .queued)
        // ... so an unreadable payload (a damaged one, seen here through an unchecked open) is what ends dead.
        var unchecked = OutboxOptions()
        unchecked.verifyDataKey = false
        let other = try makeOutbox(tmp, options: unchecked, key: .generate())
        XCTAssertTrue(try other.claim(limit: 1, lease: .milliseconds(1_000), now: start).isEmpty)
        XCTAssertEqual(try other.job(id: id)?.status, .dead)
        XCTAssertEqual(try other.attempts(jobID: id).first?.errorClass, "payload_unreadable")
    }
}
