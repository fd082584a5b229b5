import Foundation
import RelayCore
import XCTest

@testable import Outbox

/// The non-blocking `finish(…, completion:)`: fenced like the blocking one, batched by the writer,
/// and never silently lost when a batch cannot commit.
final class BatchedFinishTests: XCTestCase {
    private func report(_ o: AttemptOutcome, message: String? = nil) -> AttemptReport {
        AttemptReport(
            outcome: o, provider: "gw", startedAt: start, finishedAt: start + 1, httpStatus: 200,
            errorClass: message.map { _ in "http_5xx" }, errorMessage: message)
    }

    private func finishAndWait(
        _ outbox: SQLiteOutbox, _ job: ClaimedJob, _ t: JobTransition = .sent,
        _ r: AttemptReport? = nil
    ) -> Result<FinishResult, OutboxError> {
        let done = DispatchSemaphore(value: 0)
        let box = Box<Result<FinishResult, OutboxError>?>(nil)
        outbox.finish(id: job.id, token: job.token, transition: t, attempt: r ?? report(.sent), now: start + 2) { res in
            box.with { $0 = res }
            done.signal()
        }
        done.wait()
        return box.get!
    }

    func testStaleTokenIsRefusedAsLeaseLost() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let id = try outbox.enqueueAndWait(otpJob()).get().id
        let first = try outbox.claim(limit: 1, lease: .milliseconds(1_000), now: start)[0]
        XCTAssertEqual(try outbox.rescueExpiredLeases(now: start + 1_000), 1)
        let second = try outbox.claim(limit: 1, lease: .milliseconds(30_000), now: start + 1_000)[0]
        XCTAssertNotEqual(first.token, second.token)

        XCTAssertEqual(finishAndWait(outbox, first), .success(.leaseLost))
        XCTAssertEqual(try outbox.job(id: id)?.status, .sending, "the stale finish changed nothing")
        XCTAssertEqual(try outbox.attempts(jobID: id).map(\.errorClass), ["lease_expired"])

        XCTAssertEqual(finishAndWait(outbox, second), .success(.applied))
        XCTAssertEqual(try outbox.job(id: id)?.status, .sent)
        XCTAssertEqual(finishAndWait(outbox, second), .success(.leaseLost), "a finish applies once")
        XCTAssertEqual(try outbox.attempts(jobID: id).map(\.outcome), [.retryable, .sent])
    }

    /// A transition that fails on its own (a value the schema rejects: route step -1 against
    /// `CHECK (route_step >= 0)`) leaves nothing behind, not even the attempts row written before
    /// it, while the finish beside it in the batch commits; the refused job keeps its lease and can
    /// still be finished.
    func testTransitionFailingOnItsOwnLeavesNoAttemptRow() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let a = try outbox.enqueueAndWait(otpJob(phone: "+6281200000001", dedupe: false)).get().id
        let b = try outbox.enqueueAndWait(otpJob(phone: "+6281200000002", dedupe: false)).get().id
        let jobs = try outbox.claim(limit: 2, lease: .milliseconds(30_000), now: start)
        let refused = try XCTUnwrap(jobs.first { $0.id == a }), other = try XCTUnwrap(jobs.first { $0.id == b })
        let results = Box<[String: Result<FinishResult, OutboxError>]>([:])
        let group = DispatchGroup()
        for (job, t) in [(refused, JobTransition.nextRoute(step: -1, runAt: start + 10)), (other, .sent)] {
            group.enter()
            outbox.finish(id: job.id, token: job.token, transition: t, attempt: report(.sent), now: start + 2) { r in
                results.with { $0[job.id] = r }
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        guard case .failure(let e)? = results.get[a] else { return XCTFail("the refused transition fails: \(results.get)") }
        XCTAssertEqual(e.code, .invalidRequest)
        XCTAssertEqual(results.get[b], .success(.applied))
        XCTAssertEqual(try outbox.job(id: a)?.status, .sending, "the refused job is unchanged")
        XCTAssertEqual(try outbox.attempts(jobID: a).count, 0, "and has no attempts row")
        XCTAssertEqual(try outbox.job(id: b)?.status, .sent)
        XCTAssertEqual(try outbox.attempts(jobID: b).count, 1)
        XCTAssertEqual(finishAndWait(outbox, refused, .dead(reason: "given up"), report(.permanent)), .success(.applied))
        XCTAssertEqual(try outbox.attempts(jobID: a).map(\.attempt), [1])
        XCTAssertEqual(try outbox.job(id: a)?.status, .dead)
    }

    func testConcurrentFinishesShareCommitsAndNoneIsLost() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let n = 600
        for i in 0..<n {
            _ = try outbox.enqueueAndWait(otpJob(phone: "+62812\(String(format: "%07d", i))", dedupe: false)).get()
        }
        let jobs = try outbox.claim(limit: n, lease: .milliseconds(30_000), now: start)
        XCTAssertEqual(jobs.count, n)
        let before = outbox.writerStatistics
        let results = Box<[FinishResult]>([])
        let group = DispatchGroup()
        let sent = report(.sent)
        DispatchQueue.concurrentPerform(iterations: 16) { w in
            for i in (w * n / 16)..<((w + 1) * n / 16) {
                let job = jobs[i]
                group.enter()
                let t: JobTransition = i % 3 == 0 ? .retry(runAt: start + 60_000) : .sent
                outbox.finish(id: job.id, token: job.token, transition: t, attempt: sent, now: start + 2) { r in
                    if case .success(let f) = r { results.with { $0.append(f) } }
                    group.leave()
                }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(results.get.count, n)
        XCTAssertTrue(results.get.allSatisfy { $0 == .applied })
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM attempts") { $0.int(0) }, [n])
        XCTAssertEqual(try query(tmp.path, "SELECT sum(attempts) FROM jobs") { $0.int(0) }, [n])
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM jobs WHERE status = 'sending'") { $0.int(0) }, [0])
        let after = outbox.writerStatistics
        XCTAssertEqual(after.items - before.items, n)
        XCTAssertLessThanOrEqual(after.batches - before.batches, n)
    }

    /// A batch that cannot commit (full store) reports `.unavailable` for each of its finishes and
    /// leaves nothing of them behind: the job is still leased, no try recorded, so the caller can
    /// submit the same finish again (the pool does) or let the lease be rescued.
    func testFailedBatchReportsUnavailableAndKeepsTheLease() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        for i in 0..<40 {
            _ = try outbox.enqueueAndWait(otpJob(phone: "+62813\(String(format: "%07d", i))", dedupe: false)).get()
        }
        let jobs = try outbox.claim(limit: 40, lease: .milliseconds(30_000), now: start)
        try outbox.setMaxPageCount(try outbox.pageCount())
        let long = String(repeating: "gateway said no; ", count: 200)  // forces new pages
        let retry = JobTransition.retry(runAt: start + 60_000)
        var failed: [ClaimedJob] = []
        for job in jobs {
            switch finishAndWait(outbox, job, retry, report(.retryable, message: long)) {
            case .failure(let e): XCTAssertEqual(e, .unavailable); failed.append(job)
            case .success(let r): XCTAssertEqual(r, .applied)
            }
        }
        XCTAssertFalse(failed.isEmpty, "a full store refuses")
        XCTAssertGreaterThan(outbox.writerStatistics.failedBatches, 0)
        for job in failed {
            let record = try XCTUnwrap(try outbox.job(id: job.id))
            XCTAssertEqual(record.status, .sending)
            XCTAssertEqual(record.attempts, 0)
            XCTAssertEqual(try outbox.attempts(jobID: job.id).count, 0)
        }

        try outbox.setMaxPageCount(1_000_000)
        for job in failed {
            XCTAssertEqual(finishAndWait(outbox, job, retry, report(.retryable, message: long)), .success(.applied))
        }
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM attempts") { $0.int(0) }, [40])
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM jobs WHERE status = 'queued' AND attempts = 1") { $0.int(0) }, [40])
    }

    func testFinishAfterCloseIsUnavailable() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        _ = try outbox.enqueueAndWait(otpJob()).get()
        let job = try outbox.claim(limit: 1, lease: .milliseconds(30_000), now: start)[0]
        outbox.close()
        XCTAssertEqual(finishAndWait(outbox, job).failure, .unavailable)
    }
}
