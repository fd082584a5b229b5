import Delivery
import Foundation
import Outbox
import RelayCore
import RelayTestSupport
import SQEKYC
import XCTest

@testable import Relay

/// KYC records through the real outbox and the real delivery pool to the fake SQEKYC: stored,
/// retried, dead-lettered, replayed, and never readable outside the sealed payload.
final class KYCDeliveryTests: XCTestCase {
    func testAQueuedRecordIsStoredAndReadBack() throws {
        let h = try KYCHarness()
        let id = try h.queue()
        let job = try h.wait(id, for: .sent)
        XCTAssertEqual(job.kind, .kyc)
        XCTAssertEqual(job.channel, "sqekyc")
        XCTAssertEqual(job.provider, "sqekyc")
        XCTAssertEqual(job.recipientMasked, KYCSample.masked)
        XCTAssertFalse(job.hasPayload, "the record is erased once stored")
        XCTAssertEqual(job.attempts, 1)

        let requests = h.fake.requests()
        XCTAssertEqual(requests.count, 1)
        let r = try XCTUnwrap(requests.first)
        XCTAssertEqual(r["method"] as? String, "POST")
        XCTAssertEqual(r["path"] as? String, "/v1/common-kyc")
        XCTAssertEqual((r["headers"] as? [String: String])?["authorization"], SQEKYCFake.basic())
        XCTAssertEqual(
            r["body"] as? String,
            #"{"client_id":"nanovest","phone_number":"6281234567890","full_name":"Siti Rahayu","nik":"3201234567890001","#
                + #""date_of_birth":"1990-05-17","email":"siti.rahayu@example.co.id"}"#
        )

        let attempts = try h.store.attempts(jobID: id)
        XCTAssertEqual(attempts.map(\.outcome), [.sent])
        XCTAssertEqual(attempts.first?.httpStatus, 200)
        XCTAssertEqual(attempts.first?.providerMessageID?.hasPrefix("req-"), true)

        let back = try XCTUnwrap(try SQEKYCClient(configuration: h.settings.client).fetch(phoneNumber: KYCSample.normalizedPhone))
        XCTAssertEqual(back.nik, "3201234567890001")
        XCTAssertEqual(back.fullName, "Siti Rahayu")
        XCTAssertEqual(back.dateOfBirth, "1990-05-17")
        XCTAssertEqual(back.email, "siti.rahayu@example.co.id")
    }

    func testServerErrorsAreRetriedThenDeadThenReplayedToSuccess() throws {
        let h = try KYCHarness(maxAttempts: 3)
        h.fake.fail([["status": 503], ["status": 502], ["status": 500]])
        let id = try h.queue()
        let dead = try h.wait(id, for: .dead)
        XCTAssertEqual(dead.attempts, 3)
        XCTAssertTrue(
            dead.lastError?.hasPrefix("gave up after 3 attempts: SQEKYC is unavailable (HTTP 500)") == true,
            dead.lastError ?? "")
        XCTAssertTrue(dead.hasPayload, "a dead KYC job keeps its sealed record for replay")
        let attempts = try h.store.attempts(jobID: id)
        XCTAssertEqual(attempts.map(\.outcome), [.retryable, .retryable, .retryable])
        XCTAssertEqual(attempts.map(\.httpStatus), [503, 502, 500])
        XCTAssertEqual(attempts.map(\.errorClass), ["sqekyc_http_503", "sqekyc_http_502", "sqekyc_http_500"])

        let replayed = try h.store.replay(ids: [id], actor: "test", reason: "SQEKYC is back", now: SystemClock().nowMillis())
        XCTAssertEqual(replayed.first?.result, .replayed)
        let sent = try h.wait(id, for: .sent)
        XCTAssertFalse(sent.hasPayload)
        XCTAssertEqual(h.fake.requests().count, 4)
        XCTAssertNotNil(try SQEKYCClient(configuration: h.settings.client).fetch(phoneNumber: KYCSample.normalizedPhone))
    }

    func testTimeoutsAreRetriedThenDeadThenReplayedToSuccess() throws {
        let h = try KYCHarness(timeoutMillis: 300, maxAttempts: 2)
        h.fake.fail([["delay_ms": 900], ["delay_ms": 900]])
        let id = try h.queue()
        let dead = try h.wait(id, for: .dead)
        XCTAssertEqual(dead.attempts, 2)
        XCTAssertTrue(dead.lastError?.contains("transport timeout") == true, dead.lastError ?? "")
        XCTAssertEqual(try h.store.attempts(jobID: id).map(\.errorClass), ["transport_timeout", "transport_timeout"])
        Thread.sleep(forTimeInterval: 0.7)  // the fake finishes the slow answers it was asked for
        _ = try h.store.replay(ids: [id], actor: "test", reason: "timeouts over", now: SystemClock().nowMillis())
        try h.wait(id, for: .sent)
    }

    func testRefusedCredentialsAreDeadAtOnceNamingThem() throws {
        let wrong = "wrong-secret-5150"
        let h = try KYCHarness(secret: wrong)
        let id = try h.queue()
        let dead = try h.wait(id, for: .dead)
        XCTAssertEqual(dead.attempts, 1, "no retries with refused credentials")
        let reason = try XCTUnwrap(dead.lastError)
        XCTAssertTrue(reason.contains("credentials") && reason.contains("client_id") && reason.contains("client_secret"), reason)
        XCTAssertFalse(reason.contains(wrong))
        let attempt = try XCTUnwrap(try h.store.attempts(jobID: id).first)
        XCTAssertEqual(attempt.outcome, .permanent)
        XCTAssertEqual(attempt.httpStatus, 401)
        XCTAssertEqual(attempt.errorClass, "sqekyc_credentials")
        XCTAssertFalse(h.logs.all.contains(wrong))
        XCTAssertFalse(h.logs.all.contains(SQEKYCFake.clientSecret))
        XCTAssertEqual(h.fake.requests().count, 1)
    }

    func testAValidationAnswerIsDeadWithoutRetries() throws {
        let h = try KYCHarness()
        h.fake.fail([["status": 422, "message": "invalid nik"]])
        let id = try h.queue()
        let dead = try h.wait(id, for: .dead)
        XCTAssertEqual(dead.attempts, 1)
        XCTAssertTrue(dead.lastError?.hasPrefix("SQEKYC rejected the request (HTTP 422)") == true, dead.lastError ?? "")
        XCTAssertEqual(try h.store.attempts(jobID: id).map(\.outcome), [.permanent])
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertEqual(h.fake.requests().count, 1)
    }

    func testRetryAfterIsHonoured() throws {
        let h = try KYCHarness(startPool: false)
        h.fake.fail([["status": 503, "retry_after": "30"]])
        _ = try h.queue()
        let now = SystemClock().nowMillis()
        let job = try XCTUnwrap(try h.store.claim(limit: 1, lease: .milliseconds(60_000), now: now).first)
        let (transition, report) = h.handler().handle(job, now: now)
        guard case .retry(let runAt) = transition else { return XCTFail("\(transition)") }
        XCTAssertGreaterThanOrEqual(runAt, now + 30_000)
        XCTAssertEqual(report.outcome, .retryable)
        XCTAssertEqual(report.httpStatus, 503)
    }

    func testKYCJobsLiveLongerThanOTPsAndTheirRecordIsErasedAtExpiry() throws {
        let h = try KYCHarness(startPool: false)
        let before = SystemClock().nowMillis()
        let id = try h.queue()
        let job = try XCTUnwrap(try h.store.job(id: id))
        XCTAssertEqual(job.expiresAt - job.createdAt, Int64(SQEKYCSettings.defaultJobValiditySeconds) * 1000)
        XCTAssertGreaterThanOrEqual(job.createdAt, before)
        XCTAssertEqual(try h.store.expireDue(now: job.expiresAt), 1)
        let expired = try XCTUnwrap(try h.store.job(id: id))
        XCTAssertEqual(expired.status, .expired)
        XCTAssertFalse(expired.hasPayload)
        XCTAssertEqual(try h.store.replay(ids: [id], actor: "test", reason: "too late", now: job.expiresAt).first?.result, .expired)
    }

    func testADeadRecordIsKeptForReplayOnlyUntilItExpires() throws {
        let h = try KYCHarness(startPool: false)
        h.fake.fail([["status": 422]])
        let id = try h.queue()
        let now = SystemClock().nowMillis()
        let job = try XCTUnwrap(try h.store.claim(limit: 1, lease: .milliseconds(60_000), now: now).first)
        let (transition, report) = h.handler().handle(job, now: now)
        XCTAssertEqual(try h.store.finish(id: id, token: job.token, transition: transition, attempt: report, now: now), .applied)
        XCTAssertEqual(try h.store.job(id: id)?.status, .dead)
        XCTAssertEqual(try h.store.expireDue(now: job.expiresAt - 1), 0, "dead, and still replayable")
        XCTAssertEqual(try h.store.job(id: id)?.hasPayload, true)
        XCTAssertEqual(try h.store.expireDue(now: job.expiresAt), 1)
        XCTAssertEqual(try h.store.job(id: id)?.hasPayload, false)
    }

    func testNoPersonalDataInLogsViewsOrTheDatabaseFile() throws {
        let h = try KYCHarness(maxAttempts: 2)
        let sent = try h.queue()
        try h.wait(sent, for: .sent)
        h.fake.fail([["status": 503], ["status": 503], ["status": 422]])
        let dead = try h.queue()
        try h.wait(dead, for: .dead)
        let rejected = try h.queue()
        try h.wait(rejected, for: .dead)

        KYCSample.assertNoPersonalData(h.logs.all, "the logs")
        XCTAssertTrue(h.logs.all.contains(KYCSample.masked))
        let views = try h.views()
        KYCSample.assertNoPersonalData(views, "jobs_view/attempts_view")
        XCTAssertTrue(views.contains(KYCSample.masked))
        XCTAssertTrue(views.contains("sqekyc"))
        // At rest: the dead jobs still hold the record, sealed.
        XCTAssertEqual(try sqliteQuery(h.dbPath, "SELECT count(*) FROM jobs WHERE payload IS NOT NULL"), ["2"])
        for file in [h.dbPath, h.dbPath + "-wal"] {
            let bytes = String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self)
            KYCSample.assertNoPersonalData(bytes, file)
        }
        for j in try h.store.jobs(matching: JobFilter(kind: .kyc)) {
            KYCSample.assertNoPersonalData(JobJSON.jobWithAttempts(j, try h.store.attempts(jobID: j.id)), "JobJSON")
        }
    }
}
