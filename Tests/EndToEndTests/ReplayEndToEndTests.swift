import Foundation
import RelayTestSupport
import XCTest

/// Operators with the real binary: a provider refuses, jobs go dead, the provider is fixed,
/// `otp-relay jobs replay` (dry run, by id, by filter) sends them; views and audit rows agree. On
/// the SQLite file here, on PostgreSQL in `ReplayEndToEndTestsOnPostgreSQL`.
class ReplayEndToEndTests: StoreEndToEndCase {
    func gatewayConfig(_ dir: TempDirectory, port: Int, path: String) throws -> String {
        let config = """
            {"delivery": {"providers": {"gw": {"kind": "http", "method": "POST", "url": "http://127.0.0.1:\(port)\(path)",
                                                "body_kind": "json", "body_template": "{\\"to\\": \\"{to}\\", \\"text\\": \\"{text}\\"}",
                                                "channels": ["sms"]}},
                          "routes": {"sms": ["gw"]}, "max_idle_ms": 300}}
            """
        let file = dir.file("config-\(path.replacingOccurrences(of: "/", with: "_")).json")
        try config.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func testDeadJobsReplayedToSentWithAudit() throws {
        let dir = TempDirectory()
        let gateway = try FakeProcess(script: "fake_gateway.py", arguments: ["--out", dir.file("gateway.jsonl")])
        defer { gateway.stop() }
        let port = gateway.port
        var (env, db) = try storeEnvironment(dir)

        // The provider refuses every message (HTTP 400: permanent): the jobs end dead.
        env["OTP_RELAY_CONFIG"] = try gatewayConfig(dir, port: port, path: "/status/400")
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let c = try RawConnection(port: p.publicPort)
        let ids = try CrashRecoveryTests.postOTPs(c, count: 6, identifierPrefix: "0814", otpPrefix: "9")
        XCTAssertTrue(try waitFor(10) { try db.rows("SELECT count(*) FROM jobs WHERE status = 'dead'") == ["6"] })
        XCTAssertEqual(try db.rows("SELECT count(*) FROM dead_letters WHERE replayable = 1"), ["6"])
        XCTAssertEqual(try db.rows("SELECT sum(attempts) FROM delivery_stats_minute WHERE outcome = 'permanent'"), ["6"])
        XCTAssertEqual(p.terminate(), 0)

        // The provider is fixed; the service runs again.
        env["OTP_RELAY_CONFIG"] = try gatewayConfig(dir, port: port, path: "/send")
        let p2 = try ServiceProcess(environment: env, directory: dir.path)
        try p2.waitUntilListening()
        let bin = ServiceProcess.binary
        var (st, text, err) = try runCommand(
            bin, ["jobs", "replay", "--status", "dead", "--since", "1h", "--dry-run", "--reason", "gateway fixed"],
            environment: env, directory: dir.path)
        XCTAssertEqual(st, 0, err)
        XCTAssertTrue(text.contains("would replay 6 of 6"), text)
        XCTAssertEqual(try db.rows("SELECT count(*) FROM jobs WHERE status = 'dead'"), ["6"], "dry run changes nothing")
        (st, _, err) = try runCommand(bin, ["jobs", "replay"], environment: env, directory: dir.path)
        XCTAssertEqual(st, 2); XCTAssertTrue(err.contains("--reason"))

        (st, text, err) = try runCommand(
            bin, ["jobs", "replay", ids[0], "--reason", "customer on the phone"],
            environment: env, directory: dir.path)
        XCTAssertEqual(st, 0, err + text)
        (st, text, err) = try runCommand(
            bin, ["jobs", "replay", "--status", "dead", "--channel", "sms", "--since", "1h", "--reason", "gateway fixed", "--json"],
            environment: env, directory: dir.path)
        XCTAssertEqual(st, 0, err)
        XCTAssertTrue(text.contains("\"replayed\":5"), text)
        XCTAssertTrue(
            try waitFor(15) { try db.rows("SELECT count(*) FROM jobs WHERE status = 'sent'") == ["6"] }, "dead → queued → sent")
        XCTAssertEqual(try db.rows("SELECT count(*) FROM jobs WHERE status = 'sent' AND payload IS NULL"), ["6"])
        let audit = try db.rows("SELECT actor || '|' || reason FROM replays ORDER BY id")
        XCTAssertEqual(audit.count, 6)
        XCTAssertTrue(audit[0].hasPrefix("cli:") && audit[0].hasSuffix("|customer on the phone"), "\(audit)")
        XCTAssertEqual(Set(audit.dropFirst().map { $0.split(separator: "|").last.map(String.init) ?? "" }), ["gateway fixed"])

        (st, text, _) = try runCommand(bin, ["jobs", "list", "--status", "sent", "--json"], environment: env, directory: dir.path)
        XCTAssertEqual(st, 0)
        XCTAssertTrue(text.contains("+62814****0000"))
        XCTAssertFalse(text.contains("900000"), "no OTP in the jobs CLI")
        (st, text, _) = try runCommand(bin, ["jobs", "show", ids[0]], environment: env, directory: dir.path)
        XCTAssertEqual(st, 0)
        XCTAssertTrue(text.contains("permanent") && text.contains("sent"), text)
        (st, text, _) = try runCommand(bin, ["stats"], environment: env, directory: dir.path)
        XCTAssertEqual(st, 0)
        XCTAssertTrue(text.contains("\"sent\":6"), text)
        // Views: no secret, masked recipients only.
        let view =
            try db.rows("SELECT * FROM jobs_view").joined(separator: "\n")
            + (try db.rows("SELECT * FROM attempts_view").joined())
        XCTAssertFalse(view.contains("814000000") || view.contains("900000"))
        XCTAssertEqual(p2.terminate(), 0)
    }

    func testExpiredJobsAreNotReplayed() throws {
        let dir = TempDirectory()
        let (env, db) = try storeEnvironment(dir, config: dir.file("c.json"))
        try #"{"otp_validity_seconds": 30, "dedupe_window_seconds": 30, "delivery_enabled": false}"#
            .write(toFile: dir.file("c.json"), atomically: true, encoding: .utf8)
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let c = try RawConnection(port: p.publicPort)
        let id = try CrashRecoveryTests.postOTP(c, identifier: "081400000099", otp: "123987", channel: "sms")
        XCTAssertEqual(p.terminate(), 0)
        // A dead job whose OTP validity has passed (as the store would hold it after expiry of the code).
        try db.execute("UPDATE jobs SET status = 'dead', last_error = 'test', expires_at = 1 WHERE id = '\(id)'")
        let (st, text, _) = try runCommand(
            ServiceProcess.binary, ["jobs", "replay", id, "--reason", "late"], environment: env, directory: dir.path)
        XCTAssertEqual(st, 1)
        XCTAssertTrue(text.contains("refused (OTP expired)"), text)
        XCTAssertEqual(try db.rows("SELECT status FROM jobs WHERE id = '\(id)'"), ["dead"])
    }
}

final class ReplayEndToEndTestsOnPostgreSQL: ReplayEndToEndTests {
    override class var store: StoreKind { .postgresql }
    override func testDeadJobsReplayedToSentWithAudit() throws { try super.testDeadJobsReplayedToSentWithAudit() }
    override func testExpiredJobsAreNotReplayed() throws { try super.testExpiredJobsAreNotReplayed() }
}
