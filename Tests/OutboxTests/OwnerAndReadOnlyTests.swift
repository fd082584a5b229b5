import Foundation
import RelayCore
import XCTest

@testable import Outbox

/// `StoreAccess.owner` (an exclusive lock, leases of a dead owner returned at open) and the
/// read-only store.
final class OwnerAndReadOnlyTests: XCTestCase {
    func owner(_ db: TempDatabase, clock: ManualClock = ManualClock(start), maxAttempts: Int = .max) throws -> SQLiteOutbox {
        var options = OutboxOptions()
        options.maxAttempts = maxAttempts
        return try SQLiteOutbox(path: db.path, dataKey: testKey, clock: clock, logger: .silent, options: options, access: .owner)
    }

    func testOneOwnerAtATimeAndSharedWritersBesideIt() throws {
        let db = TempDatabase()
        let first = try owner(db)
        XCTAssertThrowsError(try owner(db)) { e in
            let d = (e as? OutboxError)?.detail ?? ""
            XCTAssertEqual((e as? OutboxError)?.code, .startup)
            XCTAssertTrue(d.contains("in use by process \(getpid())") && d.contains(db.path + ".lock"), d)
        }
        let shared = try makeOutbox(db)
        XCTAssertNoThrow(try shared.enqueueAndWait(otpJob()).get())
        shared.close()
        first.close()
        let again = try owner(db)
        again.close()
    }

    func testOwnerReturnsJobsLeftSendingAndCountsTheTry() throws {
        let db = TempDatabase()
        let clock = ManualClock(start)
        let s = try makeOutbox(db, clock: clock)
        let id = try s.enqueueAndWait(otpJob()).get().id
        let claimed = try s.claim(limit: 10, lease: .seconds(60), now: start)
        XCTAssertEqual(claimed.map(\.id), [id])
        s.close()  // as after a SIGKILL: the lease stays in the file
        // A shared (operator) open leaves it: another process may still be sending it.
        let op = try makeOutbox(db, clock: clock)
        XCTAssertEqual(try op.job(id: id)?.status, .sending)
        op.close()

        clock.advance(millis: 1_000)
        let o = try owner(db, clock: clock)
        defer { o.close() }
        let j = try XCTUnwrap(try o.job(id: id))
        XCTAssertEqual(j.status, .queued)
        XCTAssertEqual(j.attempts, 1)
        XCTAssertEqual(try o.attempts(jobID: id).map(\.errorClass), ["owner_stopped"])
        XCTAssertEqual(try o.claim(limit: 10, lease: .seconds(60), now: start + 1_000).map(\.id), [id], "claimable at once")
    }

    /// A job whose send kills its owner each time is not returned forever: each start counts the
    /// lost try, and the start at which its tries reach `max_attempts` ends it `dead` (payload kept
    /// for `jobs replay`), as the rescuer does.
    func testReturnedLeasesAreCappedByMaxAttempts() throws {
        let db = TempDatabase()
        let clock = ManualClock(start)
        let s = try makeOutbox(db, clock: clock)
        let id = try s.enqueueAndWait(otpJob()).get().id
        s.close()
        var statuses: [JobStatus] = []
        for round in 0..<3 {
            let o = try owner(db, clock: clock, maxAttempts: 3)
            let j = try XCTUnwrap(try o.job(id: id))
            if round > 0 { statuses.append(j.status) }
            if j.status == .queued {
                XCTAssertEqual(try o.claim(limit: 1, lease: .seconds(60), now: clock.nowMillis()).map(\.id), [id])
            }
            o.close()  // killed mid-send: the lease stays in the file
            clock.advance(millis: 1_000)
        }
        let o = try owner(db, clock: clock, maxAttempts: 3)
        defer { o.close() }
        statuses.append(try XCTUnwrap(try o.job(id: id)).status)
        XCTAssertEqual(statuses, [.queued, .queued, .dead])
        let j = try XCTUnwrap(try o.job(id: id))
        XCTAssertEqual(j.attempts, 3)
        XCTAssertEqual(try o.attempts(jobID: id).map(\.errorClass), ["owner_stopped", "owner_stopped", "owner_stopped"])
        XCTAssertEqual(try o.claim(limit: 10, lease: .seconds(60), now: clock.nowMillis()).count, 0, "a dead job is not claimed")
    }

    func testReadOnlyNeverCreatesNeverMigratesAndCannotWrite() throws {
        let db = TempDatabase()
        XCTAssertThrowsError(try StoreFactory.openReadOnly(.sqlite(path: db.path))) { e in
            XCTAssertEqual((e as? OutboxError)?.detail, "no database at \(db.path)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: db.path))

        let w = try makeOutbox(db)
        let id = try w.enqueueAndWait(otpJob()).get().id
        let r = try StoreFactory.openReadOnly(.sqlite(path: db.path))
        XCTAssertEqual(try r.job(id: id)?.status, .queued, "reads beside the writer")
        XCTAssertEqual(try r.countsByStatus(channel: nil)[.queued], 1)
        XCTAssertThrowsError(try r.replay(ids: [id], actor: "t", reason: "t", now: start)) { e in
            XCTAssertEqual(e as? OutboxError, .invalidRequest)
        }
        XCTAssertFalse(r.isWritable)
        r.close()
        w.close()

        // A database without the schema is refused, not migrated.
        let other = TempDatabase()
        let raw = try SQLiteDatabase(path: other.path, configuration: SQLiteDatabase.Configuration())
        try raw.execute("CREATE TABLE t (x INTEGER)")
        XCTAssertThrowsError(try StoreFactory.openReadOnly(.sqlite(path: other.path))) { e in
            XCTAssertTrue((e as? OutboxError)?.detail.contains("not an otp-relay database") == true, "\(e)")
        }
        XCTAssertEqual(try query(other.path, "SELECT count(*) FROM sqlite_schema") { $0.int(0) }, [1])
    }
}
