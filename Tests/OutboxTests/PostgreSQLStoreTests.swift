import Foundation
import RelayCore
import RelayCrypto
import RelayTestSupport
import XCTest

@testable import Outbox

/// What only the shared PostgreSQL store does: several nodes on one database (dedupe, claims,
/// wake-ups), the database's clock, the embedded migrations, an unreachable database.
final class PostgreSQLStoreTests: XCTestCase {
    func server() throws -> PostgresServer {
        guard let s = PostgresServer.shared else { throw XCTSkip(PostgresServer.unavailableReason ?? "no PostgreSQL") }
        return s
    }

    func node(_ url: String, key: DataKey = testKey) throws -> PostgreSQLOutbox {
        try PostgreSQLOutbox(url: url, keys: KeyRing(current: key), logger: .silent)
    }

    /// Two nodes on one new database, closed after `body`.
    func withTwoNodes(_ body: (PostgreSQLOutbox, PostgreSQLOutbox) throws -> Void) throws {
        let url = try server().createDatabase()
        let a = try node(url), b = try node(url)
        defer {
            a.close()
            b.close()
        }
        try body(a, b)
    }

    static func job(_ otp: String, phone: String = "+6284512340987") -> NewJob {
        otpJob(phone: phone, otp: otp, at: SystemClock().nowMillis())
    }

    func testMigrateCreatesTheSameNamesAsSQLiteAndAppliesNothingTwice() throws {
        let s = try server()
        let url = try s.createDatabase()
        let applied = try StoreFactory.migrate(.postgresql(url: url), now: 1)
        XCTAssertEqual(applied, EmbeddedMigrations.postgresql.map { String(format: "%04d_%@", $0.version, $0.name) })
        XCTAssertEqual(try StoreFactory.migrate(.postgresql(url: url), now: 2), [])
        let tables = Set(try s.query(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"))
        for name in [
            "jobs", "attempts", "replays", "schema_migrations", "data_keys", "data_key_index", "jobs_view",
            "attempts_view", "delivery_stats_minute", "jobs_stats_minute", "dead_letters",
        ] {
            XCTAssertTrue(tables.contains(name), name)
        }
        let pgColumns = try s.query(
            url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'jobs' ORDER BY ordinal_position")
        let sqlite = TempDatabase()
        try makeOutbox(sqlite).close()
        let sqliteColumns = try query(sqlite.path, "SELECT name FROM pragma_table_info('jobs') ORDER BY cid") { $0.string(0) }
        XCTAssertEqual(pgColumns, sqliteColumns, "the same columns as SQLite, in order")
    }

    func testTwoNodesShareDedupeAndNeverClaimAJobTwice() throws {
        try withTwoNodes { a, b in
            // One OTP posted to each node at once: one job, whichever commits first.
            let answers = Box<[EnqueueResult]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { i in
                if case .success(let r) = (i % 2 == 0 ? a : b).enqueueAndWait(Self.job("424242")) { answers.with { $0.append(r) } }
            }
            XCTAssertEqual(answers.get.count, 8)
            XCTAssertEqual(Set(answers.get.map(\.id)).count, 1, "one job for one OTP across nodes")
            XCTAssertEqual(answers.get.filter { !$0.duplicate }.count, 1)
            for i in 0..<199 { _ = try a.enqueueAndWait(Self.job(String(format: "%06d", i), phone: "+62845\(100_000 + i)")).get() }
            let claimed = Box<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 6) { w in
                let store = w % 2 == 0 ? a : b
                while let jobs = try? store.claim(limit: 7, lease: .seconds(30), now: 0), !jobs.isEmpty {
                    claimed.with { $0 += jobs.map(\.id) }
                }
            }
            XCTAssertEqual(claimed.get.count, 200)
            XCTAssertEqual(Set(claimed.get).count, 200, "SKIP LOCKED: no job claimed twice")
        }
    }

    func testACommitOnOneNodeWakesTheOther() throws {
        try withTwoNodes { a, b in
            let woke = DispatchSemaphore(value: 0)
            b.addCommitObserver { woke.signal() }
            usleep(300_000)  // b's listener is listening
            _ = try a.enqueueAndWait(Self.job("777777")).get()
            XCTAssertEqual(woke.wait(timeout: .now() + 5), .success, "no NOTIFY reached the other node")
            XCTAssertGreaterThan(b.notificationsReceived, 0)
        }
    }

    /// Leases, run_at and expiry follow the database's clock: a caller whose clock is far off can
    /// neither claim early nor steal a live lease.
    func testTheDatabaseClockDecidesLeasesWhateverTheCallersClock() throws {
        let url = try server().createDatabase()
        let a = try node(url)
        defer { a.close() }
        let id = try a.enqueueAndWait(Self.job("313131")).get().id
        let claimed = try a.claim(limit: 1, lease: .seconds(30), now: 0)  // a caller 56 years behind
        XCTAssertEqual(claimed.map(\.id), [id])
        let far = SystemClock().nowMillis() + 3_600_000  // an hour ahead: every lease looks expired
        XCTAssertEqual(try a.rescueExpiredLeases(now: far), 0, "a skewed clock cannot steal a lease")
        XCTAssertEqual(try a.expireDue(now: far), 0)
        let leaseUntil = try XCTUnwrap(try a.job(id: id)?.leaseUntil)
        XCTAssertEqual(Double(leaseUntil - SystemClock().nowMillis()), 30_000, accuracy: 5_000)
        XCTAssertEqual(
            try a.finish(
                id: id, token: claimed[0].token, transition: .sent,
                attempt: AttemptReport(outcome: .sent, provider: "p", startedAt: 1, finishedAt: 2), now: far),
            .applied)
    }

    func testAnotherDataKeyIsRefused() throws {
        let url = try server().createDatabase()
        try node(url).close()
        XCTAssertThrowsError(try node(url, key: try DataKey(bytes: [UInt8](repeating: 9, count: 32)))) { e in
            XCTAssertTrue("\(e)".contains("data key"), "\(e)")
        }
        let state = try XCTUnwrap(try StoreFactory.storedKeyState(.postgresql(url: url)))
        XCTAssertEqual(state.fingerprint, testKey.fingerprint)
    }

    /// The database stopped as in a crash: enqueues and claims fail `.unavailable` at once, and the
    /// same store works again once it is back, without being reopened.
    func testAnUnreachableDatabaseIsUnavailableAndTheStoreRecovers() throws {
        let s = try server()
        let url = try s.createDatabase()
        let a = try node(url)
        defer { a.close() }
        let before = try a.enqueueAndWait(Self.job("606060")).get().id
        try s.stopImmediately()
        var restarted = false
        defer { if !restarted { try? s.start() } }
        XCTAssertEqual(a.enqueueAndWait(Self.job("616161")), .failure(.unavailable))
        XCTAssertThrowsError(try a.claim(limit: 1, lease: .seconds(5), now: 0)) { XCTAssertEqual($0 as? OutboxError, .unavailable) }
        XCTAssertFalse(a.isWritable)
        try s.start()
        restarted = true
        let deadline = Date().addingTimeInterval(15)
        var after: Result<EnqueueResult, OutboxError> = .failure(.unavailable)
        while Date() < deadline {
            after = a.enqueueAndWait(Self.job("626262"))
            if case .success = after { break }
            usleep(100_000)
        }
        XCTAssertFalse(try after.get().duplicate)
        XCTAssertTrue(a.isWritable)
        XCTAssertEqual(try a.job(id: before)?.status, .queued, "committed before the crash, kept")
        XCTAssertEqual(try a.claim(limit: 10, lease: .seconds(5), now: 0).count, 2)
    }

    /// Receipts (`JobReceiptStore`): a delivered receipt ends the job, a repeat changes nothing, an
    /// unknown message id stores nothing, and a sent job without a delivered receipt by its
    /// `fallback_at` moves to the next rung with a `timeout` row.
    func testReceiptsDeliveredRepeatUnknownAndFallback() throws {
        let url = try server().createDatabase()
        var o = PostgreSQLOptions()
        o.databaseClock = false
        let s = try PostgreSQLOutbox(url: url, keys: KeyRing(current: testKey), clock: ManualClock(start), logger: .silent, options: o)
        defer { s.close() }
        let a = try s.enqueueAndWait(otpJob(otp: "111111")).get().id
        let b = try s.enqueueAndWait(otpJob(otp: "222222")).get().id
        for (i, job) in try s.claim(limit: 2, lease: .seconds(30), now: start).enumerated() {
            let report = AttemptReport(
                outcome: .sent, provider: "twilio", startedAt: start, finishedAt: start + 5, providerMessageID: "SM\(job.id)")
            XCTAssertEqual(
                try s.finish(
                    id: job.id, token: job.token, transition: .accepted(fallbackAt: i == 0 ? nil : start + 1_000), attempt: report,
                    now: start + 5),
                .applied)
        }
        func record(_ id: String, _ kind: ReceiptKind, _ status: String, _ t: ReceiptTransition) -> Result<ReceiptResult, OutboxError> {
            let done = DispatchSemaphore(value: 0)
            let box = Box<Result<ReceiptResult, OutboxError>?>(nil)
            s.recordReceipt(
                Receipt(provider: "twilio", providerMessageID: "SM\(id)", kind: kind, providerStatus: status, receivedAt: start + 50),
                executor: nil, decide: { _ in t }
            ) { r in
                box.with { $0 = r }
                done.signal()
            }
            done.wait()
            return box.get!
        }
        XCTAssertEqual(
            try record(a, .delivered, "delivered", .delivered).get(), .recorded(jobID: a, transition: .delivered, createdAt: start))
        XCTAssertEqual(try record(a, .delivered, "delivered", .delivered).get(), .duplicate(jobID: a))
        XCTAssertEqual(try record("nope", .delivered, "delivered", .delivered).get(), .unknownMessage)
        XCTAssertEqual(try s.job(id: a)?.status, .delivered)
        XCTAssertEqual(try s.job(id: a)?.hasPayload, false)
        XCTAssertEqual(try s.receipts(jobID: a).map(\.effect), ["delivered"])
        XCTAssertEqual(try s.job(id: b)?.status, .sent)
        XCTAssertEqual(try s.job(id: b)?.hasPayload, true, "kept for a resend while a receipt may come")
        XCTAssertEqual(try s.nextRunAt(), start + 1_000)
        let again = try s.claim(limit: 5, lease: .seconds(30), now: start + 1_000)
        XCTAssertEqual(again.map(\.id), [b])
        XCTAssertEqual(again.first?.routeStep, 1)
        XCTAssertEqual(try s.receipts(jobID: b).map(\.kind), [.timeout])
        XCTAssertEqual(try s.countsByStatus(channel: nil)[.delivered], 1)
    }
    /// `findRepeat` (a webhook one node's limiter refused): the first job's id whichever node took
    /// it, nil for a key nobody holds, and nil without a query while too many lookups wait.
    func testFindRepeatAnswersAnotherNodesJobAndIsBounded() throws {
        let url = try server().createDatabase()
        var options = PostgreSQLOptions()
        options.maxPendingRepeatLookups = 0
        let a = try node(url), b = try node(url)
        let capped = try PostgreSQLOutbox(url: url, keys: KeyRing(current: testKey), logger: .silent, options: options)
        defer {
            a.close()
            b.close()
            capped.close()
        }
        let first = try a.enqueueAndWait(Self.job("515151")).get()
        func find(_ store: PostgreSQLOutbox, _ job: NewJob) throws -> EnqueueResult? {
            let answer = Box<Result<EnqueueResult?, OutboxError>?>(nil)
            let done = DispatchSemaphore(value: 0)
            store.findRepeat(of: job, executor: nil) {
                let r = $0
                answer.with { $0 = r }
                done.signal()
            }
            XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
            return try XCTUnwrap(answer.get).get()
        }
        let found = try find(b, Self.job("515151"))
        XCTAssertEqual(found?.id, first.id)
        XCTAssertEqual(found?.duplicate, true)
        XCTAssertEqual(found?.status, .queued)
        XCTAssertNil(try find(b, Self.job("525252")), "a key nobody holds")
        XCTAssertNil(try find(capped, Self.job("515151")), "no lookup past maxPendingRepeatLookups")
    }
}
