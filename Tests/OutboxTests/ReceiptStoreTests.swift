import Foundation
import RelayCore
import XCTest

@testable import Outbox

/// Receipts through the real SQLite store: matching by provider message id, idempotence,
/// `delivered` never moving back, the next rung with the same sealed code, the fallback timer,
/// erasure at expiry, and the 0005 rebuild keeping existing rows.
final class ReceiptStoreTests: XCTestCase {
    /// A job accepted by provider `tw` under message id `sid`, awaiting receipts.
    func acceptedJob(
        _ outbox: SQLiteOutbox, sid: String = "SM0001", otp: String = "482915", fallbackAt: Int64? = nil, now: Int64 = start
    ) throws -> String {
        let id = try outbox.enqueueAndWait(otpJob(otp: otp)).get().id
        let job = try XCTUnwrap(try outbox.claim(limit: 1, lease: .seconds(30), now: now).first)
        var report = AttemptReport(
            outcome: .sent, channel: "whatsapp", provider: "tw", startedAt: now, finishedAt: now, httpStatus: 201)
        report.providerMessageID = sid
        XCTAssertEqual(
            try outbox.finish(id: id, token: job.token, transition: .accepted(fallbackAt: fallbackAt), attempt: report, now: now),
            .applied)
        return id
    }

    func record(
        _ outbox: SQLiteOutbox, sid: String = "SM0001", status: String, kind: ReceiptKind, code: String? = nil,
        at: Int64 = start + 1_000, decide: @escaping @Sendable (ReceiptTarget) -> ReceiptTransition
    ) -> Result<ReceiptResult, OutboxError> {
        let done = DispatchSemaphore(value: 0)
        let box = Box<Result<ReceiptResult, OutboxError>?>(nil)
        let r = Receipt(provider: "tw", providerMessageID: sid, kind: kind, providerStatus: status, errorCode: code, receivedAt: at)
        outbox.recordReceipt(r, executor: nil, decide: decide) { result in
            box.with { $0 = result }
            done.signal()
        }
        done.wait()
        return box.get!
    }

    func row(_ db: TempDatabase, _ id: String) throws -> [String] {
        try query(
            db.path,
            "SELECT status, payload IS NOT NULL, coalesce(delivered_at, -1), route_step, coalesce(fallback_at, -1) FROM jobs "
                + "WHERE id = '\(id)'"
        ) { s in "\(s.string(0)) \(s.int(1)) \(s.int64(2)) \(s.int(3)) \(s.int64(4))" }
    }

    func testAcceptedKeepsThePayloadAndDeliveredErasesItAndNeverMovesBack() throws {
        let db = TempDatabase()
        let outbox = try makeOutbox(db)
        defer { outbox.close() }
        let id = try acceptedJob(outbox)
        XCTAssertEqual(try row(db, id), ["sent 1 -1 0 -1"], "accepted with receipts: sent, sealed OTP kept")
        let target = Box<ReceiptTarget?>(nil)
        let r1 = record(outbox, status: "delivered", kind: .delivered) { t in
            target.with { $0 = t }
            return .delivered
        }
        XCTAssertEqual(try r1.get(), .recorded(jobID: id, transition: .delivered, createdAt: start))
        XCTAssertEqual(target.get?.status, .sent)
        XCTAssertEqual(target.get?.attemptRouteStep, 0)
        XCTAssertEqual(target.get?.hasPayload, true)
        XCTAssertEqual(try row(db, id), ["delivered 0 \(start + 1_000) 0 -1"])
        // The same receipt again: recognised, decide not even asked.
        XCTAssertEqual(
            try record(outbox, status: "delivered", kind: .delivered) { _ in
                XCTFail("asked"); return .none
            }.get(),
            .duplicate(jobID: id))
        // A later failure (out of order) cannot undo delivered, even if a decision asked for it.
        XCTAssertEqual(
            try record(outbox, status: "failed", kind: .failed, code: "30008") { _ in .undelivered(reason: "x") }.get(),
            .recorded(jobID: id, transition: .none, createdAt: start))
        XCTAssertEqual(
            try record(outbox, status: "delivered", kind: .delivered, code: nil, at: start + 5_000) { _ in .delivered }.get(),
            .duplicate(jobID: id))
        XCTAssertEqual(try row(db, id), ["delivered 0 \(start + 1_000) 0 -1"])
        let events = try outbox.receipts(jobID: id)
        XCTAssertEqual(events.map(\.providerStatus), ["delivered", "failed"])
        XCTAssertEqual(events.map(\.effect), ["delivered", "none"])
        XCTAssertEqual(events.last?.errorCode, "30008")
        XCTAssertEqual(events.first?.attempt, 1)
        XCTAssertEqual(try outbox.purge(createdBefore: start + 1, limit: 10), 1, "retention removes delivered jobs")
        XCTAssertEqual(try query(db.path, "SELECT count(*) FROM receipts") { $0.int(0) }, [0], "and their receipts")
    }

    func testUnknownMessageIDStoresNothing() throws {
        let db = TempDatabase()
        let outbox = try makeOutbox(db)
        defer { outbox.close() }
        _ = try acceptedJob(outbox)
        XCTAssertEqual(
            try record(outbox, sid: "SM-unknown", status: "delivered", kind: .delivered) { _ in .delivered }.get(), .unknownMessage)
        XCTAssertEqual(try query(db.path, "SELECT count(*) FROM receipts") { $0.int(0) }, [0])
    }

    func testFailureMovesToTheNextRungWithTheSameSealedCode() throws {
        let db = TempDatabase()
        let outbox = try makeOutbox(db)
        defer { outbox.close() }
        let id = try acceptedJob(outbox, otp: "731905")
        let r = record(outbox, status: "failed", kind: .failed, code: "131026") { t in
            .nextRoute(step: t.routeStep + 1, runAt: start + 1_000)
        }
        XCTAssertEqual(try r.get(), .recorded(jobID: id, transition: .nextRoute(step: 1, runAt: start + 1_000), createdAt: start))
        XCTAssertEqual(try row(db, id), ["queued 1 -1 1 -1"])
        let again = try XCTUnwrap(try outbox.claim(limit: 1, lease: .seconds(30), now: start + 1_000).first)
        XCTAssertEqual(again.id, id)
        XCTAssertEqual(again.routeStep, 1)
        XCTAssertEqual(String(decoding: again.secret, as: UTF8.self), "731905", "the same code is sent again")
        // A late failure of the first attempt while the job is on rung 1: a next-route move no longer applies.
        XCTAssertEqual(
            try record(outbox, status: "undelivered", kind: .failed, code: "131026") { _ in .nextRoute(step: 2, runAt: 0) }.get(),
            .recorded(jobID: id, transition: .none, createdAt: start))
    }

    func testUndeliveredErasesThePayload() throws {
        let db = TempDatabase()
        let outbox = try makeOutbox(db)
        defer { outbox.close() }
        let id = try acceptedJob(outbox)
        _ = try record(outbox, status: "failed", kind: .failed, code: "21211") { _ in .undelivered(reason: "twilio 21211") }.get()
        XCTAssertEqual(try row(db, id), ["undelivered 0 -1 0 -1"])
        XCTAssertEqual(try outbox.job(id: id)?.lastError, "twilio 21211")
        // Delivered is still the truth when it comes after all.
        _ = try record(outbox, status: "delivered", kind: .delivered) { _ in .delivered }.get()
        XCTAssertEqual(try row(db, id).first?.hasPrefix("delivered 0"), true)
    }

    func testNoDeliveredReceiptByFallbackAtMovesToTheNextRungAtTheClaim() throws {
        let db = TempDatabase()
        let outbox = try makeOutbox(db)
        defer { outbox.close() }
        let id = try acceptedJob(outbox, otp: "118822", fallbackAt: start + 2_000)
        XCTAssertEqual(try outbox.nextRunAt(), start + 2_000, "the dispatcher wakes for the fallback")
        XCTAssertTrue(try outbox.claim(limit: 5, lease: .seconds(30), now: start + 1_999).isEmpty)
        let job = try XCTUnwrap(try outbox.claim(limit: 5, lease: .seconds(30), now: start + 2_000).first)
        XCTAssertEqual(job.id, id)
        XCTAssertEqual(job.routeStep, 1)
        XCTAssertEqual(String(decoding: job.secret, as: UTF8.self), "118822")
        let events = try outbox.receipts(jobID: id)
        XCTAssertEqual(events.map(\.kind), [.timeout])
        XCTAssertEqual(events.first?.providerMessageID, "SM0001")
        XCTAssertEqual(events.first?.effect, "next_route")
    }

    func testDeliveredBeforeFallbackAtCancelsIt() throws {
        let db = TempDatabase()
        let outbox = try makeOutbox(db)
        defer { outbox.close() }
        let id = try acceptedJob(outbox, fallbackAt: start + 2_000)
        _ = try record(outbox, status: "read", kind: .delivered) { _ in .delivered }.get()
        XCTAssertTrue(try outbox.claim(limit: 5, lease: .seconds(30), now: start + 3_000).isEmpty)
        XCTAssertEqual(try row(db, id), ["delivered 0 \(start + 1_000) 0 -1"])
    }

    func testExpiryErasesTheSealedOTPOfAJobAwaitingAReceipt() throws {
        let db = TempDatabase()
        let outbox = try makeOutbox(db)
        defer { outbox.close() }
        let id = try acceptedJob(outbox, otp: "660011", fallbackAt: start + 250_000)
        XCTAssertEqual(try outbox.expireDue(now: start + 300_000), 0, "no queued job expired")
        XCTAssertEqual(try row(db, id), ["sent 0 -1 0 -1"], "still sent (no receipt said otherwise), code erased, no fallback")
        XCTAssertFalse(db.fileBytes().contains(Array("660011".utf8)))
        // A failure after the expiry: nothing to resend; the decision says undelivered.
        _ = try record(outbox, status: "failed", kind: .failed, code: "30003", at: start + 301_000) { t in
            XCTAssertFalse(t.hasPayload)
            return .undelivered(reason: "after expiry")
        }.get()
        XCTAssertEqual(try row(db, id), ["undelivered 0 -1 0 -1"])
    }

    func testMigration5KeepsJobsAndAttemptsOfAnOlderDatabase() throws {
        let tmp = TempDatabase()
        do {
            let db = try SQLiteDatabase(path: tmp.path, configuration: .init())
            try Migrator(migrations: EmbeddedMigrations.all.filter { $0.version <= 4 }).migrate(db, now: 0)
            try db.execute(
                """
                INSERT INTO jobs (id, kind, channel, status, created_at, updated_at, run_at, expires_at, recipient_masked,
                                  recipient_hash, payload)
                VALUES ('01JAAAAAAAAAAAAAAAAAAAAAAA', 'otp', 'sms', 'dead', 1, 1, 1, 2, '+62***87', x'00', NULL);
                INSERT INTO attempts (job_id, attempt, route_step, channel, started_at, finished_at, outcome, latency_ms,
                                      provider_message_id)
                VALUES ('01JAAAAAAAAAAAAAAAAAAAAAAA', 1, 0, 'sms', 1, 1, 'permanent', 0, 'SMx');
                """)
        }
        let outbox = try makeOutbox(tmp)
        defer { outbox.close() }
        XCTAssertEqual(try outbox.job(id: "01JAAAAAAAAAAAAAAAAAAAAAAA")?.status, .dead)
        XCTAssertEqual(try outbox.attempts(jobID: "01JAAAAAAAAAAAAAAAAAAAAAAA").count, 1, "the rebuild did not cascade")
        XCTAssertEqual(
            try query(tmp.path, "SELECT count(*) FROM sqlite_schema WHERE type = 'view'") { $0.int(0) }.first ?? 0, 7,
            "every view back, plus receipts_view and delivery_ratio_minute")
    }
}
