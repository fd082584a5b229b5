import Foundation
import RelayTestSupport
import XCTest

/// The real binary and its files: erased payloads leave `.sqlite` and `-wal`, the WAL under a
/// held reader is measured and reported, a clean SIGTERM leaves every job in `.sqlite` alone.
final class WALEndToEndTests: XCTestCase {
    func bytes(_ path: String) -> [UInt8] { FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? [] }

    func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    func testSentPayloadIsAbsentFromTheDatabaseFileAndTheWAL() throws {
        let dir = TempDirectory()
        var env = CrashRecoveryTests.environment(dir)
        try #"{"delivery_enabled": false}"#.write(toFile: dir.file("accept.json"), atomically: true, encoding: .utf8)
        env["OTP_RELAY_CONFIG"] = dir.file("accept.json")
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let c = try RawConnection(port: p.publicPort)
        var ids: [String] = []
        for i in 0..<20 {
            ids.append(
                try CrashRecoveryTests.postOTP(
                    c, identifier: String(format: "0816%08d", i), otp: String(format: "5%05d", i), channel: "sms"))
        }
        let db = dir.file("outbox.sqlite")
        // The sealed payloads, read before they are erased.
        let sealed = try sqliteQuery(db, "SELECT hex(payload) FROM jobs ORDER BY id").map { hex -> [UInt8] in
            var out: [UInt8] = []
            var i = hex.startIndex
            while i < hex.endIndex {
                let j = hex.index(i, offsetBy: 2)
                out.append(UInt8(hex[i..<j], radix: 16)!)
                i = j
            }
            return out
        }
        XCTAssertEqual(sealed.count, 20)
        XCTAssertEqual(p.terminate(), 0)
        let before = bytes(db) + bytes(db + "-wal")
        XCTAssertEqual(sealed.filter { before.contains($0) }.count, 20, "the payloads are on disk while queued")

        // Delivery on (the sandbox): every job is sent and its payload erased, in the file and the WAL.
        env["OTP_RELAY_CONFIG"] = nil
        let p2 = try ServiceProcess(environment: env, directory: dir.path)
        try p2.waitUntilListening()
        XCTAssertTrue(
            try waitFor(15) { try sqliteQuery(db, "SELECT count(*) FROM jobs WHERE status = 'sent' AND payload IS NULL") == ["20"] })
        var left = 20
        XCTAssertTrue(
            waitFor(10) {
                let now = bytes(db) + bytes(db + "-wal")
                left = sealed.filter { now.contains($0) }.count
                return left == 0
            }, "\(left) sealed payload(s) still in .sqlite or -wal while serving")
        XCTAssertEqual(p2.terminate(), 0)
        for f in [db, db + "-wal"] {
            let b = bytes(f)
            XCTAssertEqual(sealed.filter { b.contains($0) }.count, 0, f)
        }
    }

    func testWALUnderAHeldReaderIsReportedAndACleanStopLeavesEveryJobInTheDatabaseFile() throws {
        let dir = TempDirectory()
        let env = CrashRecoveryTests.environment(dir)
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let db = dir.file("outbox.sqlite"), wal = db + "-wal"
        let c = try RawConnection(port: p.publicPort)
        var ids = [try CrashRecoveryTests.postOTP(c, identifier: "081700000000", otp: "600000", channel: "sms")]

        // A reader that holds one snapshot (an operator's sqlite3 left in a transaction).
        let holder = try SnapshotHolder(database: db, directory: dir.path)

        // 20 s of load (50 OTPs a second, delivered by the sandbox) under the held reader.
        let started = Date()
        var samples: [(t: Double, file: Int64, metric: Double, ready: Int, degraded: Bool)] = []
        var n = 1
        while Date().timeIntervalSince(started) < 20 {
            for _ in 0..<50 {
                ids.append(
                    try CrashRecoveryTests.postOTP(
                        c, identifier: String(format: "0817%08d", n), otp: String(format: "6%05d", n), channel: "sms"))
                n += 1
            }
            let s1 = fileSize(wal)
            let m = try metric(p.adminPort, "otp_relay_wal_bytes")
            let s2 = fileSize(wal)
            XCTAssertTrue(Double(s1) <= m && m <= Double(s2), "metric \(m) between file sizes \(s1) and \(s2)")
            let r = try admin(p.adminPort, "/readyz")
            let degraded = r.json?["degraded"] as? Bool ?? false
            XCTAssertEqual(r.status, 200, "a degraded WAL stays ready: \(r.text)")
            XCTAssertEqual(degraded, m > 64 * 1024 * 1024, r.text)
            samples.append((Date().timeIntervalSince(started), s2, m, r.status, degraded))
            let spent = Date().timeIntervalSince(started) - Double(samples.count)
            if spent < 0 { usleep(useconds_t(-spent * 1_000_000)) }
        }
        let peak = samples.map(\.file).max() ?? 0
        XCTAssertGreaterThan(peak, 4 << 20, "the WAL grows past the truncate bound while a reader holds it")
        XCTAssertGreaterThan(try metric(p.adminPort, "otp_relay_wal_uncheckpointed_frames"), 0)
        XCTAssertTrue(p.stderr.contains("outbox WAL held back by a reader"), "warned once")

        // The reader ends: the next checkpoint empties the WAL.
        let released = Date()
        holder.release()
        XCTAssertTrue(waitFor(10) { fileSize(wal) < 4 << 20 }, "WAL \(fileSize(wal)) bytes after the reader ended")
        print(
            "e2e-wal-held-reader: \(ids.count) jobs in \(String(format: "%.1f", samples.last?.t ?? 0)) s; WAL peak \(peak) bytes "
                + "(\(peak / Int64(max(1, ids.count))) bytes/job), "
                + "degraded in \(samples.filter(\.degraded).count)/\(samples.count) samples; "
                + "below 4 MiB \(String(format: "%.2f", Date().timeIntervalSince(released))) s after the reader ended")
        XCTAssertTrue(try waitFor(30) { try sqliteQuery(db, "SELECT count(*) FROM jobs WHERE status = 'sent'") == [String(ids.count)] })

        // A clean SIGTERM: nothing left only in -wal; the database file alone holds every job.
        for i in 0..<100 {
            ids.append(
                try CrashRecoveryTests.postOTP(
                    c, identifier: String(format: "0818%08d", i), otp: String(format: "7%05d", i), channel: "sms"))
        }
        XCTAssertEqual(p.terminate(), 0)
        XCTAssertEqual(fileSize(wal), 0, "-wal empty or absent after a clean stop")
        let copy = TempDirectory()
        try FileManager.default.copyItem(atPath: db, toPath: copy.file("alone.sqlite"))
        XCTAssertEqual(Set(try sqliteQuery(copy.file("alone.sqlite"), "SELECT id FROM jobs")), Set(ids))
    }
}
