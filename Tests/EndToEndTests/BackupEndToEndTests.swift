import Foundation
import RelayTestSupport
import XCTest

/// `otp-relay backup` beside the real binary under load: every job acknowledged (200) before the
/// backup started is in the copy, also those only in `-wal`; the copy is whole (integrity_check),
/// 0600, one file; an existing file is kept without --force; a restore from it serves again.
final class BackupEndToEndTests: XCTestCase {
    func backup(_ env: [String: String], _ dir: TempDirectory, _ args: [String]) throws -> (Int32, String, String) {
        try runCommand(ServiceProcess.binary, ["backup"] + args, environment: env, directory: dir.path)
    }

    func testABackupUnderLoadHoldsEveryAcknowledgedJob() throws {
        let dir = TempDirectory()
        let env = CrashRecoveryTests.environment(dir)
        let db = dir.file("outbox.sqlite"), copy = dir.file("backup.sqlite")
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let c = try RawConnection(port: p.publicPort)
        let early = try CrashRecoveryTests.postOTPs(c, count: 20, identifierPrefix: "0813", otpPrefix: "1")
        // A held reader keeps the checkpointer from copying later commits: they stay only in -wal.
        let holder = try SnapshotHolder(database: db, directory: dir.path)
        XCTAssertEqual(holder.jobsSeen, 20)

        // A bounded burst: 4 keep-alive connections, 10 rounds of 25 pipelined requests each.
        let acked = LockedList()
        let port = p.publicPort, auth = WebhookRequest.basic("simas-id", CrashRecoveryTests.password)
        let burst = DispatchGroup()
        DispatchQueue.global().async(group: burst) {
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                WebhookRequest.pipelinedBurst(port: port, authorization: auth, rounds: 10, first: worker * 1000) { n in
                    WebhookRequest.body(identifier: String(format: "0814%08d", n), otp: String(format: "2%05d", n), channel: "sms")
                } accepted: {
                    acked.append($0)
                }
            }
        }
        let deadline = Date().addingTimeInterval(30)
        while acked.all.count < 300 && Date() < deadline { usleep(5_000) }
        let before = early + acked.all  // acknowledged before the backup started
        let (status, out, err) = try backup(env, dir, [copy])
        XCTAssertEqual(burst.wait(timeout: .now() + 60), .success, "the burst ends")
        XCTAssertEqual(status, 0, err)
        XCTAssertTrue(out.contains("integrity ok"), out)
        XCTAssertTrue(out.contains("otp-relay.data-key") || out.contains("OTP_RELAY_DATA_KEY"), "names the key to back up: \(out)")
        XCTAssertGreaterThanOrEqual(before.count, 320)
        XCTAssertLessThan(before.count, 1020, "the backup ran while the burst was still going")

        let inCopy = Set(try sqliteQuery(copy, "SELECT id FROM jobs"))
        let missing = before.filter { !inCopy.contains($0) }
        XCTAssertEqual(missing, [], "acknowledged before the backup started, absent from it")
        XCTAssertEqual(try sqliteQuery(copy, "PRAGMA integrity_check"), ["ok"])
        XCTAssertEqual(try sqliteQuery(copy, "PRAGMA journal_mode"), ["delete"], "one file, no -wal needed")
        let attrs = try FileManager.default.attributesOfItem(atPath: copy)
        XCTAssertEqual((attrs[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertFalse(FileManager.default.fileExists(atPath: copy + "-wal"))
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }, [], "no temp file left")

        // The main file alone (no -wal) lacks what the backup holds: those jobs were only in -wal.
        let fileOnly = dir.file("file-only.sqlite")
        try FileManager.default.copyItem(atPath: db, toPath: fileOnly)
        let inFile = Set(try sqliteQuery(fileOnly, "SELECT id FROM jobs"))
        XCTAssertGreaterThan(before.filter { !inFile.contains($0) }.count, 0, "some acknowledged jobs were only in -wal")

        // An existing file is kept without --force, replaced with it.
        let size = (attrs[.size] as? NSNumber)?.intValue
        let (refused, _, refusal) = try backup(env, dir, [copy])
        XCTAssertEqual(refused, 1)
        XCTAssertTrue(refusal.contains("--force"), refusal)
        XCTAssertEqual(((try FileManager.default.attributesOfItem(atPath: copy))[.size] as? NSNumber)?.intValue, size)
        let (forced, _, forcedErr) = try backup(env, dir, [copy, "--force"])
        XCTAssertEqual(forced, 0, forcedErr)
        let all = early + acked.all
        XCTAssertEqual(Set(try sqliteQuery(copy, "SELECT id FROM jobs")), Set(all), "after the burst: every job")
        XCTAssertEqual(try backup(env, dir, [db, "--force"]).0, 1, "never over the database itself")

        // Restore as documented: stop, copy back (no -wal/-shm), same key, start.
        holder.release()
        XCTAssertEqual(p.terminate(), 0)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        try FileManager.default.copyItem(atPath: copy, toPath: db)
        let p2 = try ServiceProcess(environment: env, directory: dir.path)
        try p2.waitUntilListening()
        let r = try RawConnection(port: p2.adminPort)
        try r.send(
            "GET /readyz HTTP/1.1\r\nHost: x\r\nAuthorization: \(WebhookRequest.basic("admin", CrashRecoveryTests.password))\r\n\r\n")
        XCTAssertEqual(try r.readResponse()?.status, 200)
        let restored = try p2.postWebhook(identifier: "081599990000", otp: "333333", channel: "sms", password: CrashRecoveryTests.password)
        XCTAssertEqual(restored, 200)
        XCTAssertEqual(p2.terminate(), 0)
        XCTAssertTrue(Set(try sqliteQuery(db, "SELECT id FROM jobs")).isSuperset(of: all))
        print("e2e-backup: \(before.count) acknowledged before the backup, \(all.count) in all; all \(before.count) in the copy")
    }
}
