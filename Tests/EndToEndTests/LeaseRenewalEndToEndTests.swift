import Foundation
import RelayTestSupport
import XCTest

/// The real binary with a slow loopback gateway: leases renewed while jobs wait and send (on the
/// SQLite file here, on PostgreSQL in `LeaseRenewalEndToEndTestsOnPostgreSQL`).
class LeaseRenewalEndToEndTests: StoreEndToEndCase {
    static func gatewayConfig(port: Int, slowMillis: Int, totalTimeoutMillis: Int, leaseMillis: Int, extra: String = "") -> String {
        """
        {"delivery": {"providers": {"gw": {"kind": "http", "method": "POST", "url": "http://127.0.0.1:\(port)/slow/\(slowMillis)",
                                            "body_kind": "json", "body_template": "{\\"to\\": \\"{to}\\", \\"text\\": \\"{text}\\"}",
                                            "channels": ["sms"], "total_timeout_ms": \(totalTimeoutMillis)\(extra)}},
                      "routes": {"sms": ["gw"]}, "workers": 4, "lease_ms": \(leaseMillis),
                      "retry": {"max_attempts": 3}}}
        """
    }

    /// Lease 2 s; most jobs spend over 2 s from their claim to the gateway's answer: the gateway
    /// takes 0.7 s and admits one send at a time (`concurrency` 1), so of five jobs claimed
    /// together the last waits about 2.8 s for its slot. Without renewal each job past the first
    /// two was rescued and sent again; with it, one request per job and every job `sent`. The 0.3 s
    /// between the gateway's delay and the 1 s timeout is the margin for a loaded machine (0.1 s
    /// was not: a late answer timed out and was sent again).
    func testLeasesRenewedWhileJobsWaitAndSendOneRequestPerJob() throws {
        let dir = TempDirectory()
        let gateway = try FakeProcess(script: "fake_gateway.py", arguments: ["--out", dir.file("gateway.jsonl")])
        defer { gateway.stop() }
        try Self.gatewayConfig(
            port: gateway.port, slowMillis: 700, totalTimeoutMillis: 1_000, leaseMillis: 2_000,
            extra: ", \"concurrency\": 1"
        ).write(toFile: dir.file("config.json"), atomically: true, encoding: .utf8)
        let (env, db) = try storeEnvironment(dir, config: dir.file("config.json"))
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let c = try RawConnection(port: p.publicPort)
        var ids: [String] = []
        let started = Date()
        for i in 0..<5 {
            ids.append(
                try CrashRecoveryTests.postOTP(
                    c, identifier: String(format: "0813%08d", i), otp: String(format: "5%05d", i), channel: "sms"))
        }
        let deadline = Date().addingTimeInterval(30)
        var done = false
        while !done && Date() < deadline {
            usleep(50_000)
            done =
                try db.rows("SELECT count(*) FROM jobs WHERE status IN ('sent', 'dead', 'expired')") == ["5"]
        }
        let took = Date().timeIntervalSince(started)
        XCTAssertTrue(done)
        let renewals = try metric(p.adminPort, "otp_relay_lease_renewals_total")
        XCTAssertGreaterThan(renewals, 0, "the renewals are counted in /metrics")
        XCTAssertEqual(p.terminate(), 0)
        XCTAssertEqual(try db.rows("SELECT count(*) FROM jobs WHERE status = 'sent'"), ["5"])
        XCTAssertEqual(
            try db.rows("SELECT count(*) FROM attempts"), ["5"],
            "one try per job, no rescue: \((try? db.rows("SELECT outcome, error_class, latency_ms FROM attempts ORDER BY id")) ?? [])")
        XCTAssertEqual(try db.rows("SELECT count(*) FROM attempts WHERE error_class = 'lease_expired'"), ["0"])
        let requests = try String(contentsOfFile: dir.file("gateway.jsonl"), encoding: .utf8).split(separator: "\n").count
        XCTAssertEqual(requests, 5, "exactly one provider request per job")
        let figure = "e2e-lease: lease 2000 ms, 5 jobs, gateway 700 ms one at a time: \(requests) requests"
        print("\(figure), all sent in \(String(format: "%.1f", took)) s, \(Int(renewals)) lease renewals")
    }
}

final class LeaseRenewalEndToEndTestsOnPostgreSQL: LeaseRenewalEndToEndTests {
    override class var store: StoreKind { .postgresql }
    override func testLeasesRenewedWhileJobsWaitAndSendOneRequestPerJob() throws {
        try super.testLeasesRenewedWhileJobsWaitAndSendOneRequestPerJob()
    }
}

/// A lease shorter than the providers' timeout refused by `config check` and by `serve` (before
/// any store is opened).
final class LeaseConfigurationEndToEndTests: XCTestCase {
    /// Lease 2 s, gateway timeout 3 s: the combination that sent one OTP 15 times is refused,
    /// naming the key, before anything is claimed.
    func testConfigCheckAndServeRefuseALeaseShorterThanTheProviderTimeout() throws {
        let dir = TempDirectory()
        try LeaseRenewalEndToEndTests.gatewayConfig(port: 9, slowMillis: 3_000, totalTimeoutMillis: 3_000, leaseMillis: 2_000)
            .write(toFile: dir.file("config.json"), atomically: true, encoding: .utf8)
        let bin = ServiceProcess.binary
        var (status, _, err) = try runCommand(bin, ["config", "check", "--config", dir.file("config.json")])
        XCTAssertEqual(status, 1)
        XCTAssertTrue(err.contains("delivery.lease_ms"), err)
        XCTAssertTrue(err.contains("must be at least 4000 (provider gw has total_timeout_ms 3000"), err)

        var env = CrashRecoveryTests.environment(dir)
        env["OTP_RELAY_CONFIG"] = dir.file("config.json")
        (status, _, err) = try runCommand(bin, ["serve"], environment: env, directory: dir.path)
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(err.contains("delivery.lease_ms"), err)

        try LeaseRenewalEndToEndTests.gatewayConfig(port: 9, slowMillis: 3_000, totalTimeoutMillis: 3_000, leaseMillis: 4_000)
            .write(toFile: dir.file("config.json"), atomically: true, encoding: .utf8)
        (status, _, err) = try runCommand(bin, ["config", "check", "--config", dir.file("config.json")])
        XCTAssertEqual(status, 0, err)
    }
}
