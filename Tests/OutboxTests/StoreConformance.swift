import Foundation
import RelayCore
import RelayCrypto
import RelayTestSupport
import XCTest

@testable import Outbox

/// The store protocols' behaviour, written once and run against both stores
/// (`SQLiteConformanceTests`, `PostgreSQLConformanceTests`). Time is driven by a `ManualClock`
/// (the PostgreSQL store in caller-clock mode); the database-clock path has tests of its own.
struct StoreConformance {
    let make: (ManualClock) throws -> any OutboxStore

    /// Every scenario, by name: each store's test case runs them all (`runEveryScenario`).
    static var scenarios: [(name: String, run: (StoreConformance) -> () throws -> Void)] {
        [
            ("claimOpensPayloadAndRespectsRunAt", claimOpensPayloadAndRespectsRunAt),
            ("sentErasesPayloadAndRecordsAttempt", sentErasesPayloadAndRecordsAttempt),
            ("fencingRefusesAStaleToken", fencingRefusesAStaleToken),
            ("rescueEndsDeadAtTheBudget", rescueEndsDeadAtTheBudget),
            ("retryAndNextRouteRequeue", retryAndNextRouteRequeue),
            ("dedupeAnswersTheFirstJob", dedupeAnswersTheFirstJob),
            ("expiryReplayAndPurge", expiryReplayAndPurge),
            ("listsAndStatistics", listsAndStatistics),
        ]
    }

    /// Runs every scenario on a fresh store each, on to the next after a failure; a failure
    /// names its scenario.
    func runEveryScenario(file: StaticString = #filePath, line: UInt = #line) {
        for (name, run) in Self.scenarios {
            do { try run(self)() } catch { XCTFail("\(name): \(error)", file: file, line: line) }
        }
    }

    private func report(_ o: AttemptOutcome, at t: Int64 = start + 10, error: String? = nil) -> AttemptReport {
        AttemptReport(
            outcome: o, provider: "meta", startedAt: t - 5, finishedAt: t, httpStatus: 200, providerMessageID: "wamid.1",
            errorClass: error.map { _ in "http_5xx" }, errorMessage: error)
    }

    func claimOpensPayloadAndRespectsRunAt() throws {
        let s = try make(ManualClock(start))
        defer { s.close() }
        let a = try s.enqueueAndWait(otpJob(otp: "111111")).get().id
        var later = otpJob(otp: "222222")
        later.runAt = start + 5_000
        let b = try s.enqueueAndWait(later).get().id
        let claimed = try s.claim(limit: 10, lease: .milliseconds(30_000), now: start + 1)
        XCTAssertEqual(claimed.map(\.id), [a])
        XCTAssertEqual(claimed.first?.recipient, "+6284512340987")
        XCTAssertEqual(claimed.first?.secret, Array("111111".utf8))
        XCTAssertEqual(claimed.first?.channel, "whatsapp")
        XCTAssertEqual(claimed.first?.kind, .otp)
        XCTAssertEqual(claimed.first?.attempts, 0)
        XCTAssertEqual(claimed.first?.leaseUntil, start + 30_001)
        XCTAssertEqual(claimed.first?.expiresAt, start + 300_000)
        XCTAssertEqual(try s.job(id: a)?.status, .sending)
        XCTAssertEqual(try s.nextRunAt(), start + 5_000)
        XCTAssertEqual(try s.nextLeaseExpiry(), start + 30_001)
        XCTAssertEqual(try s.claim(limit: 10, lease: .milliseconds(30_000), now: start + 1).count, 0, "not claimed twice")
        XCTAssertEqual(try s.claim(limit: 10, lease: .milliseconds(30_000), now: start + 5_000).map(\.id), [b])
    }

    func sentErasesPayloadAndRecordsAttempt() throws {
        let s = try make(ManualClock(start))
        defer { s.close() }
        let id = try s.enqueueAndWait(otpJob()).get().id
        let job = try s.claim(limit: 1, lease: .milliseconds(30_000), now: start)[0]
        XCTAssertEqual(try s.finish(id: id, token: job.token, transition: .sent, attempt: report(.sent), now: start + 10), .applied)
        let r = try XCTUnwrap(try s.job(id: id))
        XCTAssertEqual(r.status, .sent)
        XCTAssertEqual(r.sentAt, start + 10)
        XCTAssertEqual(r.attempts, 1)
        XCTAssertEqual(r.provider, "meta")
        XCTAssertFalse(r.hasPayload)
        let attempts = try s.attempts(jobID: id)
        XCTAssertEqual(attempts.map(\.outcome), [.sent])
        XCTAssertEqual(attempts.first?.attempt, 1)
        XCTAssertEqual(attempts.first?.latencyMillis, 5)
        XCTAssertEqual(attempts.first?.providerMessageID, "wamid.1")
        XCTAssertEqual(attempts.first?.channel, "whatsapp")
    }

    func fencingRefusesAStaleToken() throws {
        let s = try make(ManualClock(start))
        defer { s.close() }
        let id = try s.enqueueAndWait(otpJob()).get().id
        let first = try s.claim(limit: 1, lease: .milliseconds(1_000), now: start)[0]
        XCTAssertEqual(try s.rescueExpiredLeases(now: start + 999), 0)
        XCTAssertEqual(try s.rescueExpiredLeases(now: start + 1_000), 1)
        XCTAssertEqual(try s.job(id: id)?.status, .queued)
        let second = try s.claim(limit: 1, lease: .milliseconds(1_000), now: start + 1_001)[0]
        XCTAssertGreaterThan(second.token, first.token)
        XCTAssertEqual(second.attempts, 1, "the lost try counts")
        XCTAssertEqual(try s.finish(id: id, token: first.token, transition: .sent, attempt: report(.sent), now: start + 1_002), .leaseLost)
        XCTAssertFalse(try s.renewLease(id: id, token: first.token, lease: .milliseconds(5_000), now: start + 1_002))
        XCTAssertTrue(try s.renewLease(id: id, token: second.token, lease: .milliseconds(5_000), now: start + 1_002))
        XCTAssertEqual(try s.job(id: id)?.status, .sending)
        XCTAssertEqual(try s.job(id: id)?.leaseUntil, start + 6_002)
        XCTAssertEqual(
            try s.renewLeases(
                [HeldLease(id: id, token: second.token), HeldLease(id: "x", token: 1)], lease: .seconds(1), now: start + 1_003),
            [id])
        XCTAssertEqual(try s.finish(id: id, token: second.token, transition: .sent, attempt: report(.sent), now: start + 1_010), .applied)
        XCTAssertEqual(
            try s.finish(id: id, token: second.token, transition: .sent, attempt: report(.sent), now: start + 1_011), .leaseLost,
            "a finished job cannot be finished again")
        XCTAssertEqual(try s.attempts(jobID: id).map(\.outcome), [.retryable, .sent])
        XCTAssertEqual(try s.attempts(jobID: id).map(\.errorClass), ["lease_expired", nil])
    }

    func rescueEndsDeadAtTheBudget() throws {
        let s = try make(ManualClock(start))
        defer { s.close() }
        let id = try s.enqueueAndWait(otpJob()).get().id
        _ = try s.claim(limit: 1, lease: .milliseconds(1_000), now: start)
        XCTAssertEqual(try s.rescueExpiredLeases(now: start + 2_000, maxAttempts: 1), 1)
        XCTAssertEqual(try s.job(id: id)?.status, .dead)
    }

    func retryAndNextRouteRequeue() throws {
        let s = try make(ManualClock(start))
        defer { s.close() }
        let id = try s.enqueueAndWait(otpJob()).get().id
        var job = try s.claim(limit: 1, lease: .seconds(30), now: start)[0]
        XCTAssertEqual(
            try s.finish(
                id: id, token: job.token, transition: .retry(runAt: start + 2_000), attempt: report(.retryable, error: "503"),
                now: start + 10),
            .applied)
        var r = try XCTUnwrap(try s.job(id: id))
        XCTAssertEqual(r.status, .queued)
        XCTAssertEqual(r.runAt, start + 2_000)
        XCTAssertEqual(r.lastError, "503")
        XCTAssertTrue(r.hasPayload)
        XCTAssertEqual(try s.claim(limit: 1, lease: .seconds(30), now: start + 1_999).count, 0)
        job = try s.claim(limit: 1, lease: .seconds(30), now: start + 2_000)[0]
        XCTAssertEqual(job.attempts, 1)
        let next = AttemptReport(
            outcome: .nextRoute, channel: "sms", provider: "twilio", startedAt: start + 2_001, finishedAt: start + 2_002)
        XCTAssertEqual(
            try s.finish(
                id: id, token: job.token, transition: .nextRoute(step: 1, runAt: start + 2_002), attempt: next, now: start + 2_002),
            .applied)
        r = try XCTUnwrap(try s.job(id: id))
        XCTAssertEqual(r.routeStep, 1)
        XCTAssertEqual(try s.attempts(jobID: id).map(\.channel), ["whatsapp", "sms"])
        job = try s.claim(limit: 1, lease: .seconds(30), now: start + 2_002)[0]
        XCTAssertEqual(job.routeStep, 1)
        XCTAssertEqual(try s.releaseLeases(tokens: [job.token], now: start + 2_003), 1)
        r = try XCTUnwrap(try s.job(id: id))
        XCTAssertEqual(r.status, .queued)
        XCTAssertEqual(r.attempts, 2, "a release counts no try")
    }

    func dedupeAnswersTheFirstJob() throws {
        let s = try make(ManualClock(start))
        defer { s.close() }
        let first = try s.enqueueAndWait(otpJob()).get()
        XCTAssertFalse(first.duplicate)
        let again = try s.enqueueAndWait(otpJob(at: start + 1_000)).get()
        XCTAssertEqual(again, EnqueueResult(id: first.id, status: .queued, duplicate: true))
        let other = try s.enqueueAndWait(otpJob(otp: "999999", at: start + 1_000)).get()
        XCTAssertFalse(other.duplicate)
        let afterWindow = try s.enqueueAndWait(otpJob(at: start + 60_001)).get()
        XCTAssertFalse(afterWindow.duplicate, "past the window a repeat is a new job")
        let noKey = try s.enqueueAndWait(otpJob(at: start + 60_002, dedupe: false)).get()
        XCTAssertFalse(noKey.duplicate)
        // Many at once: one batch holding repeats of one key answers them all with one id.
        let results = Box<[EnqueueResult]>([])
        let done = DispatchGroup()
        for _ in 0..<20 {
            done.enter()
            s.enqueue(otpJob(otp: "555555", at: start + 70_000)) { r in
                if case .success(let e) = r { results.with { $0.append(e) } }
                done.leave()
            }
        }
        done.wait()
        XCTAssertEqual(results.get.count, 20)
        XCTAssertEqual(Set(results.get.map(\.id)).count, 1)
        XCTAssertEqual(results.get.filter { !$0.duplicate }.count, 1)
    }

    func expiryReplayAndPurge() throws {
        let s = try make(ManualClock(start))
        defer { s.close() }
        let a = try s.enqueueAndWait(otpJob(otp: "100001")).get().id
        let b = try s.enqueueAndWait(otpJob(otp: "100002", validity: 1_000)).get().id
        var job = try s.claim(limit: 1, lease: .seconds(30), now: start)[0]
        XCTAssertEqual(job.id, a)
        _ = try s.finish(id: a, token: job.token, transition: .dead(reason: "bounced"), attempt: report(.permanent), now: start + 10)
        XCTAssertEqual(try s.expireDue(now: start + 1_000), 1)
        XCTAssertEqual(try s.job(id: b)?.status, .expired)
        XCTAssertEqual(try s.job(id: b)?.hasPayload, false)
        let replayed = try s.replay(ids: [a, b, "01JUNKJUNKJUNKJUNKJUNKJUNK"], actor: "ops", reason: "test", now: start + 20)
        XCTAssertEqual(replayed.map(\.result), [.replayed, .expired, .notFound])
        XCTAssertEqual(try s.job(id: a)?.status, .queued)
        XCTAssertEqual(try s.replay(ids: [a], actor: "ops", reason: "again", now: start + 21).map(\.result), [.notDead(.queued)])
        job = try s.claim(limit: 1, lease: .seconds(30), now: start + 30)[0]
        _ = try s.finish(id: a, token: job.token, transition: .sent, attempt: report(.sent, at: start + 40), now: start + 40)
        XCTAssertEqual(try s.purge(createdBefore: start + 1, limit: 10), 2)
        XCTAssertNil(try s.job(id: a))
        XCTAssertEqual(try s.attempts(jobID: a), [])
    }

    func listsAndStatistics() throws {
        let s = try make(ManualClock(start))
        defer { s.close() }
        var ids: [String] = []
        for i in 0..<5 { ids.append(try s.enqueueAndWait(otpJob(otp: "20000\(i)", channel: i < 3 ? .sms : .email)).get().id) }
        let job = try s.claim(limit: 1, lease: .seconds(30), now: start)[0]
        _ = try s.finish(id: job.id, token: job.token, transition: .sent, attempt: report(.sent, at: start + 50), now: start + 50)
        let job2 = try s.claim(limit: 1, lease: .seconds(30), now: start)[0]
        _ = try s.finish(
            id: job2.id, token: job2.token, transition: .retry(runAt: start + 100), attempt: report(.retryable, error: "x"), now: start + 60
        )
        XCTAssertEqual(try s.jobs(matching: JobFilter(limit: 10)).map(\.id), ids.sorted().reversed())
        XCTAssertEqual(try s.jobs(matching: JobFilter(channel: "email")).count, 2)
        XCTAssertEqual(try s.jobs(matching: JobFilter(status: .sent)).map(\.id), [job.id])
        XCTAssertEqual(try s.jobs(matching: JobFilter(beforeID: ids[2], limit: 10)).map(\.id), [ids[1], ids[0]])
        let hash = otpJob().recipientHash
        XCTAssertEqual(try s.jobs(matching: JobFilter(recipientHash: hash)).count, 5)
        let counts = try s.countsByStatus(channel: nil)
        XCTAssertEqual(counts[.queued], 4)
        XCTAssertEqual(counts[.sent], 1)
        XCTAssertEqual(counts[.dead], 0)
        XCTAssertEqual(try s.countsByStatus(channel: "email")[.queued], 2)
        XCTAssertEqual(try s.attemptSummary(since: start).map(\.count), [1, 1])
        XCTAssertEqual(try s.attemptCounts(since: start).map(\.outcome), [.retryable, .sent])
        XCTAssertEqual(try s.recentFailures(limit: 10).map(\.outcome), [.retryable])
        let latency = try s.deliveryLatency(since: start)
        XCTAssertEqual(latency.count, 1)
        XCTAssertEqual(latency.p50, 50)
        XCTAssertEqual(try s.oldestQueued(), ["sms": start, "email": start])
        XCTAssertEqual(try s.attemptsPerMinute(since: start).map(\.count).reduce(0, +), 2)
        XCTAssertEqual(try s.sentLatencyHistogram(since: start).total, 1)
        XCTAssertTrue(s.isWritable)
        XCTAssertGreaterThan(s.writerStatistics.items, 0)
    }
}

extension OutboxStore {
    /// Enqueues and waits for the commit.
    func enqueueAndWait(_ job: NewJob) -> Result<EnqueueResult, OutboxError> {
        let done = DispatchSemaphore(value: 0)
        let box = Box<Result<EnqueueResult, OutboxError>?>(nil)
        enqueue(job) { r in
            box.with { $0 = r }
            done.signal()
        }
        done.wait()
        return box.get!
    }
}

final class SQLiteConformanceTests: XCTestCase {
    private var dirs: [TempDatabase] = []
    private var conformance: StoreConformance {
        StoreConformance { [self] clock in
            let d = TempDatabase()
            dirs.append(d)
            return try makeOutbox(d, clock: clock)
        }
    }

    func testEveryScenario() { conformance.runEveryScenario() }
}

final class PostgreSQLConformanceTests: XCTestCase {
    private var conformance: StoreConformance {
        get throws {
            guard let server = PostgresServer.shared else { throw XCTSkip(PostgresServer.unavailableReason ?? "no PostgreSQL") }
            return StoreConformance { clock in
                var o = PostgreSQLOptions()
                o.databaseClock = false
                return try PostgreSQLOutbox(
                    url: try server.createDatabase(), keys: KeyRing(current: testKey), clock: clock, logger: .silent, options: o)
            }
        }
    }

    func testEveryScenario() throws { try conformance.runEveryScenario() }
}
