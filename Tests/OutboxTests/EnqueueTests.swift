import Foundation
import RelayCore
import RelayCrypto
import XCTest

@testable import Outbox

final class EnqueueTests: XCTestCase {
    func testCommittedJobIsVisibleFromAnotherConnectionAfterReopen() throws {
        let tmp = TempDatabase()
        var outbox: SQLiteOutbox? = try makeOutbox(tmp)
        let r = try outbox!.enqueueAndWait(otpJob()).get()
        XCTAssertFalse(r.duplicate)
        XCTAssertEqual(r.status, .queued)
        XCTAssertEqual(r.id.count, 26)
        // Visible from a separate connection while the store is open (committed, not just buffered)…
        let seen = try query(tmp.path, "SELECT id, status, kind, channel, recipient_masked FROM jobs") {
            [$0.string(0), $0.string(1), $0.string(2), $0.string(3), $0.string(4)]
        }
        XCTAssertEqual(seen, [[r.id, "queued", "otp", "whatsapp", "+62845****0987"]])
        outbox = nil
        // …and after the store is closed and opened again.
        let again = try makeOutbox(tmp)
        let job = try XCTUnwrap(try again.job(id: r.id))
        XCTAssertEqual(job.status, .queued)
        XCTAssertEqual(job.createdAt, start)
        XCTAssertEqual(job.expiresAt, start + 300_000)
        XCTAssertTrue(job.hasPayload)
    }

    func testOTPAndRecipientAreNeverStoredInClear() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let otp = "90817263", phone = "+6281299887766", email = "someone.private@example.com"
        _ = try outbox.enqueueAndWait(otpJob(phone: phone, otp: otp)).get()
        _ = try outbox.enqueueAndWait(
            NewJob.otp(
                channel: .email, recipient: email, recipientHash: [1], otp: otp,
                dedupeKey: nil, dedupeWindow: .zero, createdAt: start,
                expiresAt: start + 1000)
        ).get()
        let bytes = tmp.fileBytes()
        XCTAssertFalse(bytes.isEmpty)
        XCTAssertTrue(bytes.contains(Array("+62812****7766".utf8)), "the masked form is stored")
        for secret in [otp, phone, email, String(phone.dropFirst())] {
            XCTAssertFalse(bytes.contains(Array(secret.utf8)), "a secret is in the database file in clear")
        }
        outbox.close()
        XCTAssertFalse(tmp.fileBytes().contains(Array(otp.utf8)))
    }

    func testPayloadOpensOnlyForItsJob() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let a = try outbox.enqueueAndWait(otpJob(otp: "111111")).get()
        let b = try outbox.enqueueAndWait(otpJob(otp: "222222")).get()
        let payloads = try query(tmp.path, "SELECT id, payload FROM jobs ORDER BY id") { ($0.string(0), $0.blob(1)!) }
        XCTAssertEqual(payloads.map(\.0), [a.id, b.id])
        let opened = try XCTUnwrap(Payload.open(payloads[0].1, jobID: a.id, key: KeyRing(current: testKey)))
        XCTAssertEqual(opened.recipient, "+6284512340987")
        XCTAssertEqual(opened.secret, Array("111111".utf8))
        XCTAssertNil(Payload.open(payloads[0].1, jobID: b.id, key: KeyRing(current: testKey)), "bound to the job id")
        XCTAssertNil(Payload.open(payloads[0].1, jobID: a.id, key: KeyRing(current: DataKey.generate())))
    }

    func testRepeatInsideWindowReturnsFirstJobAndItsCurrentStatus() throws {
        let tmp = TempDatabase()
        let clock = ManualClock(start)
        let outbox = try makeOutbox(tmp, clock: clock)
        let first = try outbox.enqueueAndWait(otpJob(at: start)).get()
        let repeat1 = try outbox.enqueueAndWait(otpJob(at: start + 59_000)).get()
        XCTAssertEqual(repeat1, EnqueueResult(id: first.id, status: .queued, duplicate: true))
        // The first job moves on; a repeat reports where it is now.
        let claimed = try outbox.claim(limit: 1, lease: .milliseconds(30_000), now: start + 1)
        XCTAssertEqual(claimed.map(\.id), [first.id])
        let repeat2 = try outbox.enqueueAndWait(otpJob(at: start + 59_500)).get()
        XCTAssertEqual(repeat2, EnqueueResult(id: first.id, status: .sending, duplicate: true))
        // Another OTP for the same person is a different job.
        let other = try outbox.enqueueAndWait(otpJob(otp: "000111", at: start + 2)).get()
        XCTAssertFalse(other.duplicate)
        // After the window: a deliberate resend, a new job.
        let later = try outbox.enqueueAndWait(otpJob(at: start + 60_001)).get()
        XCTAssertFalse(later.duplicate)
        XCTAssertNotEqual(later.id, first.id)
        XCTAssertEqual(try outbox.countsByStatus(channel: nil)[.queued], 2)
    }

    func testRepeatsInsideOneBatchInsertOnce() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let results = Box<[EnqueueResult]>([])
        let group = DispatchGroup()
        // Submitted back to back, these land in one or few batches.
        for _ in 0..<50 {
            group.enter()
            outbox.enqueue(otpJob()) { r in
                results.with { $0.append(try! r.get()) }; group.leave()
            }
        }
        group.wait()
        let all = results.get
        XCTAssertEqual(all.count, 50)
        XCTAssertEqual(Set(all.map(\.id)).count, 1)
        XCTAssertEqual(all.filter { !$0.duplicate }.count, 1)
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM jobs") { $0.int(0) }, [1])
    }

    func testConcurrentEnqueuesAreGroupCommitted() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let threads = 16, perThread = 200
        let ids = Box<[String]>([])
        let woke = Box<Int>(0)
        outbox.addCommitObserver { woke.with { $0 += 1 } }
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let group = DispatchGroup()
            for i in 0..<perThread {
                group.enter()
                outbox.enqueue(otpJob(phone: "+62812\(String(format: "%07d", t * 1000 + i))", otp: "\(100000 + i)")) { r in
                    if case .success(let e) = r { ids.with { $0.append(e.id) } }
                    group.leave()
                }
            }
            group.wait()
        }
        let total = threads * perThread
        XCTAssertEqual(ids.get.count, total, "every enqueue completed successfully")
        XCTAssertEqual(Set(ids.get).count, total)
        let stats = outbox.writerStatistics
        XCTAssertEqual(stats.items, total)
        XCTAssertLessThan(stats.batches, total, "group commit: fewer transactions than jobs")
        XCTAssertEqual(stats.failedBatches, 0)
        // Observers run after the completions of their batch: give the last one a moment.
        for _ in 0..<200 where woke.get < stats.batches { usleep(10_000) }
        XCTAssertEqual(woke.get, stats.batches, "observers run once per committing batch")
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM jobs") { $0.int(0) }, [total])
    }

    func testInvalidItemFailsAloneAndTheBatchCommits() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        var bad = otpJob(otp: "999999")
        bad.channel = "pigeon"  // rejected by the schema's CHECK
        let results = Box<[String: Result<EnqueueResult, OutboxError>]>([:])
        let group = DispatchGroup()
        for (name, job) in [("a", otpJob(otp: "111111")), ("bad", bad), ("b", otpJob(otp: "222222"))] {
            group.enter()
            outbox.enqueue(job) { r in
                results.with { $0[name] = r }; group.leave()
            }
        }
        group.wait()
        let r = results.get
        XCTAssertNotNil(try? r["a"]!.get())
        XCTAssertNotNil(try? r["b"]!.get())
        XCTAssertThrowsError(try r["bad"]!.get()) { XCTAssertEqual(($0 as? OutboxError)?.code, .invalidRequest) }
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM jobs") { $0.int(0) }, [2])
    }

    func testClosedStoreAnswersUnavailable() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        outbox.close()
        XCTAssertEqual(outbox.enqueueAndWait(otpJob()).failure, .unavailable)
        XCTAssertThrowsError(try outbox.claim(limit: 1, lease: .milliseconds(1), now: start))
    }
}

extension Result {
    var failure: Failure? { if case .failure(let e) = self { return e }; return nil }
}
