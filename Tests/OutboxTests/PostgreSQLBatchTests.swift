import Foundation
import RelayCore
import RelayCrypto
import RelayTestSupport
import XCTest

@testable import Outbox

/// The PostgreSQL writer's batches (one round trip each): the enqueue statement with repeats in
/// and across batches, and the finish statement with two finishes of one job in one batch. The
/// writer is held on a row lock taken from another session, so what is submitted meanwhile lands
/// in ONE next batch.
final class PostgreSQLBatchTests: XCTestCase {
    private func store(_ url: String) throws -> PostgreSQLOutbox {
        var o = PostgreSQLOptions()
        o.databaseClock = false
        return try PostgreSQLOutbox(url: url, keys: KeyRing(current: testKey), clock: ManualClock(start), logger: .silent, options: o)
    }

    private func report(_ t: Int64) -> AttemptReport {
        AttemptReport(outcome: .sent, provider: "meta", startedAt: t - 5, finishedAt: t, httpStatus: 200)
    }

    /// Finishes `id` under `token` from the writer, without waiting; `done` is left once it committed.
    private func finishLater(
        _ s: PostgreSQLOutbox, _ id: String, _ token: Int64, at t: Int64, into box: Box<[String: FinishResult]>, _ done: DispatchGroup
    ) {
        done.enter()
        s.finish(id: id, token: token, transition: .sent, attempt: report(t), now: t) { r in
            box.with { $0["\(id)/\(token)"] = (try? r.get()) ?? .leaseLost }
            done.leave()
        }
    }

    func testOneBatchOfEnqueuesRepeatsAndTwoFinishesOfOneJob() throws {
        guard let server = PostgresServer.shared else { throw XCTSkip(PostgresServer.unavailableReason ?? "no PostgreSQL") }
        let url = try server.createDatabase()
        let s = try store(url)
        defer { s.close() }
        let lease = Duration.seconds(30)
        let a = try s.enqueueAndWait(otpJob(phone: "+6284500000001", otp: "100001")).get().id
        let b = try s.enqueueAndWait(otpJob(phone: "+6284500000002", otp: "100002")).get().id
        let a1 = try XCTUnwrap(try s.claim(limit: 1, lease: lease, now: start).first)
        XCTAssertEqual(a1.id, a)
        XCTAssertEqual(try s.rescueExpiredLeases(now: start + 31_000, maxAttempts: 5), 1)
        let again = try s.claim(limit: 2, lease: lease, now: start + 31_000)
        XCTAssertEqual(Set(again.map(\.id)), [a, b])
        let a2 = try XCTUnwrap(again.first { $0.id == a }), b1 = try XCTUnwrap(again.first { $0.id == b })
        XCTAssertNotEqual(a1.token, a2.token)

        // Another session holds b's row: the writer's batch finishing b waits on it.
        let blocker = PGConnection(conninfo: url)
        defer { blocker.close() }
        try blocker.exec("BEGIN")
        try blocker.exec("SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", [b])
        let finished = Box<[String: FinishResult]>([:])
        let done = DispatchGroup()
        finishLater(s, b, b1.token, at: start + 32_000, into: finished, done)
        usleep(300_000)  // the writer took that batch and waits
        let before = s.writerStatistics.batches

        // Meanwhile: a's late finish and its successor's, two new jobs sharing a key, a repeat of b.
        finishLater(s, a, a1.token, at: start + 32_000, into: finished, done)
        finishLater(s, a, a2.token, at: start + 32_000, into: finished, done)
        let answers = Box<[Int: EnqueueResult]>([:])
        let jobs = [
            otpJob(phone: "+6284500000003", otp: "100003", at: start + 32_000),
            otpJob(phone: "+6284500000003", otp: "100003", at: start + 32_000),
            otpJob(phone: "+6284500000002", otp: "100002", at: start + 32_000),
            otpJob(phone: "+6284500000004", otp: "100004", at: start + 32_000, dedupe: false),
        ]
        for (i, job) in jobs.enumerated() {
            done.enter()
            s.enqueue(job) { r in
                answers.with { $0[i] = try? r.get() }
                done.leave()
            }
        }
        try blocker.exec("COMMIT")
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)

        XCTAssertEqual(s.writerStatistics.batches - before, 2, "b's batch, then one batch with everything submitted meanwhile")
        XCTAssertEqual(finished.get["\(b)/\(b1.token)"], .applied)
        XCTAssertEqual(finished.get["\(a)/\(a1.token)"], .leaseLost, "the late finish of a rescued lease is refused")
        XCTAssertEqual(finished.get["\(a)/\(a2.token)"], .applied)
        let attemptsOfA = try s.attempts(jobID: a)
        XCTAssertEqual(attemptsOfA.map(\.outcome), [.retryable, .sent], "the lost lease, then the successor's send")
        XCTAssertEqual(try s.job(id: a)?.status, .sent)
        XCTAssertEqual(try s.job(id: a)?.attempts, 2)

        let r = answers.get
        let first = try XCTUnwrap(r[0]), repeatInBatch = try XCTUnwrap(r[1]), repeatOfB = try XCTUnwrap(r[2])
        let noKey = try XCTUnwrap(r[3])
        XCTAssertFalse(first.duplicate)
        XCTAssertEqual(repeatInBatch, EnqueueResult(id: first.id, status: .queued, duplicate: true))
        XCTAssertEqual(repeatOfB, EnqueueResult(id: b, status: .sent, duplicate: true), "the first job's id and status")
        XCTAssertFalse(noKey.duplicate)
        XCTAssertEqual(try s.job(id: first.id)?.status, .queued)
        XCTAssertEqual(try s.countsByStatus(channel: nil)[.queued], 2, "the new job and the one without a key")
    }

    /// `dedupe_keys` has no foreign key (migration 0007): retention deletes the keys its jobs still
    /// own, and only those (a key taken over by a later job stays with it).
    func testRetentionDeletesThePurgedJobsOwnKeysOnly() throws {
        guard let server = PostgresServer.shared else { throw XCTSkip(PostgresServer.unavailableReason ?? "no PostgreSQL") }
        let url = try server.createDatabase()
        let s = try store(url)
        defer { s.close() }
        let sent = try s.enqueueAndWait(otpJob(phone: "+6284500000011", otp: "110001")).get().id
        let shortWindow = otpJob(phone: "+6284500000012", otp: "110002", window: 1_000)
        let taken = try s.enqueueAndWait(shortWindow).get().id
        let leased = try s.enqueueAndWait(otpJob(phone: "+6284500000013", otp: "110003")).get().id
        for job in try s.claim(limit: 3, lease: .seconds(30), now: start) where job.id != leased {
            _ = try s.finish(id: job.id, token: job.token, transition: .sent, attempt: report(start + 10), now: start + 10)
        }
        // The short window passed: the same OTP is a new job, which takes the key over.
        let later = otpJob(phone: "+6284500000012", otp: "110002", at: start + 2_000)
        let owner = try s.enqueueAndWait(later).get()
        XCTAssertFalse(owner.duplicate)

        XCTAssertEqual(try s.purge(createdBefore: start + 1, limit: 10), 2, "the two sent jobs")
        XCTAssertNil(try s.job(id: sent))
        XCTAssertNil(try s.job(id: taken))
        let c = PGConnection(conninfo: url)
        defer { c.close() }
        let keys = try c.exec("SELECT job_id FROM dedupe_keys ORDER BY job_id")
        XCTAssertEqual(
            Set((0..<keys.count).map { keys.string($0, 0) }), [leased, owner.id],
            "the leased job keeps its key; the later owner keeps the one it took over")
        let again = try s.enqueueAndWait(otpJob(phone: "+6284500000011", otp: "110001", at: start + 2_010)).get()
        XCTAssertFalse(again.duplicate, "the purged job's key went with it")
        let repeatOfLater = otpJob(phone: "+6284500000012", otp: "110002", at: start + 2_010)
        XCTAssertEqual(try s.enqueueAndWait(repeatOfLater).get(), EnqueueResult(id: owner.id, status: .queued, duplicate: true))
    }
}

/// The text array literals every batch statement is built from, through the real server.
final class PostgreSQLArrayLiteralTests: XCTestCase {
    func testArrayLiteralsRoundTripQuotesBackslashesNULLAndUnicode() throws {
        guard let server = PostgresServer.shared else { throw XCTSkip(PostgresServer.unavailableReason ?? "no PostgreSQL") }
        let c = PGConnection(conninfo: try server.createDatabase())
        defer { c.close() }
        let elements: [String?] = ["plain", "", nil, "a\"b", "back\\slash\\", "{,}", "NULL", "ü€𝄞 \"\\", "line\nbreak"]
        let r = try c.exec("SELECT e FROM unnest($1::text[]) WITH ORDINALITY AS t(e, n) ORDER BY n", [PG.array(elements)])
        XCTAssertEqual((0..<r.count).map { r.optionalString($0, 0) }, elements)
        let bytes: [[UInt8]?] = [[0, 1, 0x22, 0x5C, 0xFF], nil, []]
        let b = try c.exec(
            "SELECT e FROM unnest($1::bytea[]) WITH ORDINALITY AS t(e, n) ORDER BY n", [PG.array(bytes.map { PG.bytea($0) })])
        XCTAssertEqual((0..<b.count).map { b.bytes($0, 0) }, bytes)
    }
}
