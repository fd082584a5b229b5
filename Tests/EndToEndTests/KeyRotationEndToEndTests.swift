import Foundation
import RelayTestSupport
import XCTest

/// `otp-relay keys rotate` on the real binary and a real store: jobs queued under key A
/// still deliver after the rotation, new ones carry key B's id, older ones are re-sealed in the
/// background, a repeat of an OTP posted before the rotation is still a duplicate, and a ring
/// that lost the key its jobs need is refused at start. On the SQLite file here, on PostgreSQL in
/// `KeyRotationEndToEndTestsOnPostgreSQL`.
class KeyRotationEndToEndTests: StoreEndToEndCase {
    static let keyA = Data((0..<32).map { UInt8(100 + $0) }).base64EncodedString()

    /// The test's store, made by `queuedUnderAThenRotated`.
    private var db: TestStore!

    private func environment(_ dir: TempDirectory, deliver: Bool) throws -> [String: String] {
        var env = CrashRecoveryTests.environment(dir).merging(db.environment) { $1 }
        env["OTP_RELAY_DATA_KEY"] = nil
        env["OTP_RELAY_DATA_KEY_FILE"] = dir.file("data-key")
        if !deliver {
            try Data(#"{"delivery_enabled": false}"#.utf8).write(to: URL(fileURLWithPath: dir.file("config.json")))
            env["OTP_RELAY_CONFIG"] = dir.file("config.json")
        }
        return env
    }

    private func headers(_ dir: TempDirectory) throws -> [String] {
        try db.rows("SELECT \(db.hexPrefix("payload", bytes: 12)) FROM jobs ORDER BY id")
    }

    private func keys(_ args: [String], _ env: [String: String]) throws -> (Int32, String, String) {
        try runCommand(ServiceProcess.binary, ["keys"] + args, environment: env)
    }

    /// Two OTPs queued under key A (delivery off), then `keys rotate`; returns (fingerprint A, fingerprint B, job ids).
    private func queuedUnderAThenRotated(_ dir: TempDirectory) throws -> (String, String, [String]) {
        db = try makeStore(dir)
        try Data((Self.keyA + "\n").utf8).write(to: URL(fileURLWithPath: dir.file("data-key")))
        let env = try environment(dir, deliver: false)
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let c = try RawConnection(port: p.publicPort)
        let ids = [
            try CrashRecoveryTests.postOTP(c, identifier: "084512340987", otp: "123456", channel: "sms"),
            try CrashRecoveryTests.postOTP(c, identifier: "084512340988", otp: "234567", channel: "sms"),
        ]
        XCTAssertEqual(p.terminate(), 0)
        let (status, out, err) = try keys(["rotate"], env)
        XCTAssertEqual(status, 0, err)
        let lines = out.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let b = try XCTUnwrap(lines.first { $0.starts(with: ["new", "current", "key"]) }?[3])
        let a = try XCTUnwrap(lines.first { $0.starts(with: ["previous", "key"]) }?[2])
        XCTAssertEqual(b.count, 64)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(try headers(dir), Array(repeating: "4f4b5201" + a.prefix(16), count: 2), "sealed under A's key id")
        let file = try String(contentsOfFile: dir.file("data-key"), encoding: .utf8)
        XCTAssertTrue(file.contains(Self.keyA), "A is kept in the ring")
        XCTAssertFalse(out.contains(Self.keyA), "no key is printed")
        for key in file.components(separatedBy: "\"") where key.count == 44 { XCTAssertFalse(out.contains(key)) }
        let mode = try FileManager.default.attributesOfItem(atPath: dir.file("data-key"))[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        return (a, b, ids)
    }

    func testRotationKeepsOldJobsDeliverableAndDedupe() throws {
        let dir = TempDirectory()
        let (a, b, ids) = try queuedUnderAThenRotated(dir)
        let env = try environment(dir, deliver: false)

        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let c = try RawConnection(port: p.publicPort)
        let repeated = try CrashRecoveryTests.postOTP(c, identifier: "084512340987", otp: "123456", channel: "sms")
        XCTAssertEqual(repeated, ids[0], "a repeat of an OTP posted before the rotation is still a duplicate")
        let new = try CrashRecoveryTests.postOTP(c, identifier: "084512340989", otp: "345678", channel: "sms")
        XCTAssertFalse(ids.contains(new))
        // The background re-sealing moves A's jobs under B.
        let deadline = Date().addingTimeInterval(15)
        let underB = "4f4b5201" + b.prefix(16)
        while try headers(dir) != [underB, underB, underB] && Date() < deadline { usleep(50_000) }
        XCTAssertEqual(try headers(dir), [underB, underB, underB])
        XCTAssertTrue(p.stderr.contains("re-sealed under the current data key"), p.stderr)
        XCTAssertEqual(p.terminate(), 0)
        XCTAssertEqual(
            try db.rows(
                "SELECT (SELECT fingerprint FROM data_keys), (SELECT fingerprint FROM data_key_index)"),
            ["\(b)|\(a)"], "current B; the index key is the first key, unchanged")

        let (status, shown, _) = try keys(["show"], env)
        XCTAssertEqual(status, 0)
        XCTAssertTrue(shown.contains("current   \(b)  key id \(b.prefix(16)) 3 job(s)"), shown)
        XCTAssertTrue(shown.contains("previous  \(a)  key id \(a.prefix(16)) 0 job(s)"), shown)
        XCTAssertTrue(shown.contains("index     \(a)"), shown)

        // Delivery on: all three are sent, the two from before the rotation included.
        let d = try ServiceProcess(environment: try environment(dir, deliver: true), directory: dir.path)
        try d.waitUntilListening()
        let sent = Date().addingTimeInterval(15)
        while try db.rows("SELECT count(*) FROM jobs WHERE status = 'sent'") != ["3"] && Date() < sent {
            usleep(50_000)
        }
        XCTAssertEqual(try db.rows("SELECT status FROM jobs"), ["sent", "sent", "sent"])
        XCTAssertEqual(d.terminate(), 0)
        let sandbox = try String(contentsOfFile: dir.file("sandbox.jsonl"), encoding: .utf8)
        for otp in ["123456", "234567", "345678"] { XCTAssertTrue(sandbox.contains(otp), "\(otp) delivered") }
    }

    /// Jobs still under the old key and a ring that dropped it: `serve` refuses, naming the key id
    /// and the count; no job is touched, and `keys show` reports them.
    func testRingMissingTheOldKeyIsRefused() throws {
        let dir = TempDirectory()
        let (a, b, _) = try queuedUnderAThenRotated(dir)
        // As if a start had recorded B but the jobs were not re-sealed yet, then A left the ring.
        try db.execute("UPDATE data_keys SET fingerprint = '\(b)' WHERE role = 'current'")
        let ring = try String(contentsOfFile: dir.file("data-key"), encoding: .utf8)
        let current = try XCTUnwrap(ring.components(separatedBy: "\"").dropFirst().first { $0.count == 44 })
        try Data(#"{"current": "\#(current)", "index": "\#(Self.keyA)"}"#.utf8).write(to: URL(fileURLWithPath: dir.file("data-key")))
        var env = try environment(dir, deliver: true)
        let p = try ServiceProcess(environment: env, directory: dir.path)
        XCTAssertNotEqual(p.waitForExit(timeoutSeconds: 20), 0)
        XCTAssertTrue(p.stderr.contains("cannot open 2 job(s)"), p.stderr)
        XCTAssertTrue(p.stderr.contains("sealed with key id \(a.prefix(16))"), p.stderr)
        XCTAssertFalse(p.stderr.contains("\"msg\":\"listening\""))
        XCTAssertEqual(try db.rows("SELECT status, attempts FROM jobs"), ["queued|0", "queued|0"])
        let (status, shown, _) = try keys(["show"], env)
        XCTAssertEqual(status, 0)
        XCTAssertTrue(shown.contains("2 job(s) sealed with key id \(a.prefix(16)), which this ring does not hold"), shown)
        // A ring that does not even hold the key the database records is refused as before.
        try Data("\(Data((0..<32).map { UInt8($0 ^ 0x5A) }).base64EncodedString())\n".utf8)
            .write(to: URL(fileURLWithPath: dir.file("data-key")))
        env["OTP_RELAY_CONFIG"] = nil
        let q = try ServiceProcess(environment: env, directory: dir.path)
        XCTAssertNotEqual(q.waitForExit(timeoutSeconds: 20), 0)
        XCTAssertTrue(q.stderr.contains("the data key does not match this database"), q.stderr)
    }
}

final class KeyRotationEndToEndTestsOnPostgreSQL: KeyRotationEndToEndTests {
    override class var store: StoreKind { .postgresql }
    override func testRotationKeepsOldJobsDeliverableAndDedupe() throws { try super.testRotationKeepsOldJobsDeliverableAndDedupe() }
    override func testRingMissingTheOldKeyIsRefused() throws { try super.testRingMissingTheOldKeyIsRefused() }
}
