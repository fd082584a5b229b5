import Foundation
import RelayTestSupport
import XCTest

/// The real binary delivering: the sandbox default, and a SIGKILL in the middle of slow sends; on
/// the SQLite file here, on PostgreSQL in `DeliveryEndToEndTestsOnPostgreSQL`.
class DeliveryEndToEndTests: StoreEndToEndCase {
    static var support: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/Support"
    }

    func testSandboxDefaultDeliversAndErasesTheOTP() throws {
        let dir = TempDirectory()
        let (env, db) = try storeEnvironment(dir)
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let c = try RawConnection(port: p.publicPort)
        let id = try CrashRecoveryTests.postOTP(c, identifier: "084512340987", otp: "482913", channel: "whatsapp")
        XCTAssertTrue(try waitFor(10) { try db.rows("SELECT status FROM jobs WHERE id = '\(id)'") == ["sent"] })
        XCTAssertEqual(try db.rows("SELECT CAST(payload IS NULL AS integer) FROM jobs WHERE id = '\(id)'"), ["1"], "OTP erased once sent")
        let lines = try String(contentsOfFile: dir.file("sandbox.jsonl"), encoding: .utf8).split(separator: "\n")
        let line = try XCTUnwrap(lines.first { $0.contains(id) })
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(obj["to"] as? String, "+6284512340987")
        XCTAssertEqual(obj["channel"] as? String, "whatsapp")
        XCTAssertTrue((obj["message"] as? String ?? "").contains("482913"))
        XCTAssertNotNil(obj["at"] as? Int)
        XCTAssertNotNil(obj["provider"] as? String)
        XCTAssertEqual(p.terminate(), 0)
        XCTAssertFalse(p.stderr.contains("482913"))
    }

    func testSIGKILLMidDeliveryLosesNothingAndLeavesNothingSending() throws {
        let dir = TempDirectory()
        let gateway = try FakeProcess(script: "fake_gateway.py", arguments: ["--out", dir.file("gateway.jsonl")])
        defer { gateway.stop() }
        let port = gateway.port
        let config = """
            {"delivery": {"providers": {"gw": {"kind": "http", "method": "POST", "url": "http://127.0.0.1:\(port)/slow/400",
                                                "body_kind": "json", "body_template": "{\\"to\\": \\"{to}\\", \\"text\\": \\"{text}\\"}",
                                                "channels": ["sms"], "total_timeout_ms": 2000}},
                          "routes": {"sms": ["gw"]}, "workers": 16, "lease_ms": 4000}}
            """
        try config.write(toFile: dir.file("config.json"), atomically: true, encoding: .utf8)
        let (env, db) = try storeEnvironment(dir, config: dir.file("config.json"))
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let c = try RawConnection(port: p.publicPort)
        let ids = try CrashRecoveryTests.postOTPs(c, count: 120, identifierPrefix: "0813", otpPrefix: "7")
        XCTAssertTrue(
            try waitFor(10) { (Int(try db.rows("SELECT count(*) FROM jobs WHERE status = 'sending'").first ?? "0") ?? 0) > 0 })
        p.killNow()  // mid-delivery: sends in flight, leases held
        let sendingAtKill = Int(try db.rows("SELECT count(*) FROM jobs WHERE status = 'sending'").first ?? "0") ?? 0
        XCTAssertGreaterThan(sendingAtKill, 0)

        let p2 = try ServiceProcess(environment: env, directory: dir.path)
        try p2.waitUntilListening()
        XCTAssertTrue(
            try waitFor(60) {
                try db.rows("SELECT count(*) FROM jobs WHERE status IN ('sent', 'dead', 'expired')") == [String(ids.count)]
            }, "every accepted job ends sent, dead or expired")
        XCTAssertEqual(try db.rows("SELECT count(*) FROM jobs WHERE status = 'sending'"), ["0"])
        XCTAssertEqual(Set(try db.rows("SELECT id FROM jobs")), Set(ids))
        XCTAssertEqual(p2.terminate(), 0)
        // At-least-once: a send in flight at the kill may go out again; report how many did.
        let sent = try String(contentsOfFile: dir.file("gateway.jsonl"), encoding: .utf8).split(separator: "\n").count
        print(
            "e2e-crash: accepted \(ids.count), gateway requests \(sent), resent after SIGKILL \(sent - ids.count), sending at kill "
                + "\(sendingAtKill)"
        )
        XCTAssertGreaterThanOrEqual(sent, ids.count)
    }
}

final class DeliveryEndToEndTestsOnPostgreSQL: DeliveryEndToEndTests {
    override class var store: StoreKind { .postgresql }
    override func testSandboxDefaultDeliversAndErasesTheOTP() throws { try super.testSandboxDefaultDeliversAndErasesTheOTP() }
    override func testSIGKILLMidDeliveryLosesNothingAndLeavesNothingSending() throws {
        try super.testSIGKILLMidDeliveryLosesNothingAndLeavesNothingSending()
    }
}
