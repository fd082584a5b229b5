import Foundation
import RelayCore
import RelayTestSupport
import XCTest

@testable import Outbox

/// Erasure that reaches the file and the WAL, a bounded and reported WAL, a clean close that
/// leaves nothing only in `-wal`.
final class WALTests: XCTestCase {
    func bytes(_ path: String) -> [UInt8] { FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? [] }

    /// Whether any 24-byte piece of `sealed` (at eight places along it) is in `file`: a payload in
    /// overflow pages is split across pages, so the whole blob is never contiguous.
    func holds(_ file: [UInt8], _ sealed: [UInt8]) -> Bool {
        let n = 24
        guard sealed.count > n else { return file.contains(sealed) }
        return (0..<8).contains { k in
            let at = (sealed.count - n) * k / 7
            return file.contains(Array(sealed[at..<at + n]))
        }
    }

    func testSentPayloadBytesLeaveTheDatabaseFileAndTheWAL() throws {
        let tmp = TempDatabase()
        var o = OutboxOptions()
        o.erasureCheckpointDelay = .milliseconds(100)
        let s = try makeOutbox(tmp, options: o)
        defer { s.close() }
        var ids: [String] = []
        for i in 0..<40 {
            // A quarter large enough to spill into overflow pages (as a KYC record's may): freed,
            // those keep their bytes unless `secure_delete` zeroes them.
            let otp = i % 4 == 0 ? String(repeating: "\(i % 10)", count: 6_000) : "48\(1000 + i)"
            ids.append(try s.enqueueAndWait(otpJob(phone: "+62845123\(1000 + i)", otp: otp)).get().id)
        }
        let sealed = try query(tmp.path, "SELECT payload FROM jobs ORDER BY id") { $0.blob(0) ?? [] }
        XCTAssertEqual(sealed.count, 40)
        let before = bytes(tmp.path) + bytes(tmp.path + "-wal")
        XCTAssertTrue(sealed.allSatisfy { $0.count > 16 && holds(before, $0) })
        let claimed = try s.claim(limit: 40, lease: .seconds(60), now: start)
        for j in claimed {
            let report = AttemptReport(outcome: .sent, provider: "p", startedAt: start, finishedAt: start + 1)
            XCTAssertEqual(try s.finish(id: j.id, token: j.token, transition: .sent, attempt: report, now: start + 1), .applied)
        }
        // A TRUNCATE checkpoint follows the erasures (within erasureCheckpointDelay of the last).
        XCTAssertTrue(
            waitFor(5) {
                let now = bytes(tmp.path) + bytes(tmp.path + "-wal")
                return s.writerStatistics.log.truncations > 0 && sealed.allSatisfy { !holds(now, $0) }
            })
        for p in [tmp.path, tmp.path + "-wal"] {
            let b = bytes(p)
            XCTAssertEqual(sealed.filter { holds(b, $0) }.count, 0, "sealed payloads left in \(p)")
        }
    }

    func testWALUnderAHeldReaderIsReportedAndTruncatedOnceTheReaderEnds() throws {
        let tmp = TempDatabase()
        var o = OutboxOptions()
        o.checkpointPages = 50
        o.walTruncateBytes = 256 << 10
        o.walDegradedBytes = 1 << 20
        let s = try makeOutbox(tmp, options: o)
        defer { s.close() }
        _ = try s.enqueueAndWait(otpJob()).get()
        // Another reader holds a snapshot: no checkpoint may copy past it.
        var c = SQLiteDatabase.Configuration()
        c.readOnly = true
        let reader = try SQLiteDatabase(path: tmp.path, configuration: c)
        try reader.execute("BEGIN")
        XCTAssertEqual(
            try reader.withStatement("SELECT count(*) FROM jobs") { st throws(SQLiteError) in try st.step() ? st.int(0) : -1 }, 1)
        for i in 0..<600 { _ = try s.enqueueAndWait(otpJob(phone: "+62845\(100_000 + i)", otp: "\(200_000 + i)")).get() }
        let held = s.writerStatistics.log
        XCTAssertGreaterThan(held.bytes, o.walDegradedBytes, "the WAL grows past its bound while the reader holds it")
        XCTAssertTrue(held.degraded)
        XCTAssertTrue(waitFor(3) { s.writerStatistics.log.uncopiedFrames > 0 })
        print("wal-held-reader: \(held.bytes) bytes after 600 commits under one held reader")

        try reader.execute("COMMIT")
        XCTAssertTrue(
            waitFor(5) { s.writerStatistics.log.truncations > 0 && s.writerStatistics.log.bytes < o.walTruncateBytes },
            "\(s.writerStatistics.log)")
        XCTAssertFalse(s.writerStatistics.log.degraded)
        XCTAssertGreaterThan(s.writerStatistics.log.truncations, 0)
    }

    func testCleanCloseLeavesEveryCommitInTheDatabaseFileAlone() throws {
        let tmp = TempDatabase()
        var o = OutboxOptions()
        o.checkpointPages = 0  // nothing checkpoints before the close
        let s = try makeOutbox(tmp, options: o)
        var ids: [String] = []
        for i in 0..<120 { ids.append(try s.enqueueAndWait(otpJob(phone: "+62845\(300_000 + i)", otp: "\(400_000 + i)")).get().id) }
        XCTAssertGreaterThan(Checkpointer.walBytes(tmp.path), 0)
        s.close()
        XCTAssertEqual(Checkpointer.walBytes(tmp.path), 0, "-wal empty or gone after a clean close")
        let copy = TempDatabase()
        try FileManager.default.copyItem(atPath: tmp.path, toPath: copy.path)
        XCTAssertEqual(Set(try query(copy.path, "SELECT id FROM jobs") { $0.string(0) }), Set(ids))
    }
}
