import Foundation
import RelayTestSupport
import XCTest

/// The real binary: one `serve` per database file (an exclusive lock), leases of a killed owner
/// returned at the next start, read-only CLI reads.
final class OneOwnerTests: XCTestCase {
    func testSecondServeOnTheSameFileRefusesAndTheFirstKeepsServing() throws {
        let dir = TempDirectory()
        let env = CrashRecoveryTests.environment(dir)
        let first = try ServiceProcess(environment: env, directory: dir.path)
        try first.waitUntilListening()

        let second = try ServiceProcess(environment: env, directory: dir.path)
        XCTAssertThrowsError(try second.waitUntilListening()) { e in
            guard case ServiceProcessError.exited(let status, let err) = e else { return XCTFail("\(e)") }
            XCTAssertNotEqual(status, 0)
            XCTAssertTrue(err.contains("in use by process \(first.process.processIdentifier)"), err)
            XCTAssertTrue(err.contains("one otp-relay serve per database file"), err)
        }
        XCTAssertFalse(second.stderr.contains("\"msg\":\"listening\""), "the second never listens")

        // The first still takes and delivers OTPs; CLI writers and readers work beside it.
        let c = try RawConnection(port: first.publicPort)
        let id = try CrashRecoveryTests.postOTP(c, identifier: "081299990001", otp: "314159", channel: "sms")
        let db = dir.file("outbox.sqlite")
        XCTAssertTrue(try waitFor(10) { try sqliteQuery(db, "SELECT status FROM jobs WHERE id = '\(id)'") == ["sent"] })
        let (st, text, err) = try runCommand(
            ServiceProcess.binary, ["jobs", "replay", id, "--reason", "lock test"], environment: env, directory: dir.path)
        XCTAssertEqual(st, 1, err)
        XCTAssertTrue(text.contains("refused (not dead)"), text)
        XCTAssertEqual(first.terminate(), 0)

        // Once the first has stopped, the file is free again.
        let third = try ServiceProcess(environment: env, directory: dir.path)
        try third.waitUntilListening()
        XCTAssertEqual(third.terminate(), 0)
    }

    func gatewayConfig(_ dir: TempDirectory, _ name: String, port: Int, path: String) throws -> String {
        let config = """
            {"delivery": {"providers": {"gw": {"kind": "http", "method": "POST", "url": "http://127.0.0.1:\(port)\(path)",
                                                "body_kind": "json", "body_template": "{\\"to\\": \\"{to}\\", \\"text\\": \\"{text}\\"}",
                                                "channels": ["sms"], "total_timeout_ms": 30000}},
                          "routes": {"sms": ["gw"]}, "lease_ms": 60000, "max_idle_ms": 300}}
            """
        try config.write(toFile: dir.file(name), atomically: true, encoding: .utf8)
        return dir.file(name)
    }

    func testJobLeasedByAKilledServeIsResentAtRestartWithoutWaitingForTheLease() throws {
        let dir = TempDirectory()
        let slow = try FakeProcess(script: "fake_gateway.py", arguments: ["--out", dir.file("slow.jsonl")])
        defer { slow.stop() }
        var env = CrashRecoveryTests.environment(dir)
        env["OTP_RELAY_CONFIG"] = try gatewayConfig(dir, "slow.json", port: slow.port, path: "/slow/20000")
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let c = try RawConnection(port: p.publicPort)
        let id = try CrashRecoveryTests.postOTP(c, identifier: "081299990002", otp: "271828", channel: "sms")
        // The provider has the request and holds it: the job is `sending` under a 60 s lease.
        XCTAssertTrue(try waitFor(10) { ((try? String(contentsOfFile: dir.file("slow.jsonl"), encoding: .utf8)) ?? "").contains("\n") })
        let db = dir.file("outbox.sqlite")
        XCTAssertEqual(try sqliteQuery(db, "SELECT status FROM jobs WHERE id = '\(id)'"), ["sending"])
        p.killNow()

        let fast = try FakeProcess(script: "fake_gateway.py", arguments: ["--out", dir.file("fast.jsonl")])
        defer { fast.stop() }
        env["OTP_RELAY_CONFIG"] = try gatewayConfig(dir, "fast.json", port: fast.port, path: "/send")
        let restart = Date()
        let p2 = try ServiceProcess(environment: env, directory: dir.path)
        try p2.waitUntilListening()
        XCTAssertTrue(try waitFor(15) { try sqliteQuery(db, "SELECT status FROM jobs WHERE id = '\(id)'") == ["sent"] })
        let resentAfter = Date().timeIntervalSince(restart)
        print("e2e-orphaned-lease: re-sent \(String(format: "%.2f", resentAfter)) s after restart (lease 60 s)")
        XCTAssertLessThan(resentAfter, 15, "well before the 60 s lease would have run out")
        XCTAssertTrue(p2.stderr.contains("returned jobs left sending by a stopped process"), p2.stderr)
        // The lost try counts, as a rescue does: one `owner_stopped` try, then the sent one.
        XCTAssertEqual(
            try sqliteQuery(
                db, "SELECT attempt || ':' || coalesce(error_class, outcome) FROM attempts WHERE job_id = '\(id)' ORDER BY attempt"),
            ["1:owner_stopped", "2:sent"])
        XCTAssertEqual(try sqliteQuery(db, "SELECT attempts FROM jobs WHERE id = '\(id)'"), ["2"])
        XCTAssertEqual(p2.terminate(), 0)
    }

    func testReadCommandsOpenReadOnlyAndNeverCreateAFile() throws {
        let dir = TempDirectory()
        var env = CrashRecoveryTests.environment(dir)
        let bin = ServiceProcess.binary
        // A mistyped path: a clear error, a non-zero status, and no file left behind.
        env["OTP_RELAY_DB"] = dir.file("typo.sqlite")
        for args in [["jobs", "list"], ["jobs", "show", "x"], ["stats"], ["jobs", "replay", "x", "--reason", "r"]] {
            let (st, _, err) = try runCommand(bin, args, environment: env, directory: dir.path)
            XCTAssertEqual(st, 1, "\(args): \(err)")
            XCTAssertTrue(err.contains("no database at \(dir.file("typo.sqlite"))"), "\(args): \(err)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("typo") }
        XCTAssertEqual(left, [], "nothing created")

        // A file that is not an otp-relay database is not migrated into one.
        FileManager.default.createFile(atPath: dir.file("empty.sqlite"), contents: Data())
        env["OTP_RELAY_DB"] = dir.file("empty.sqlite")
        var (st, _, err) = try runCommand(bin, ["stats"], environment: env, directory: dir.path)
        XCTAssertEqual(st, 1)
        XCTAssertTrue(err.contains("not an otp-relay database"), err)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: dir.file("empty.sqlite"))[.size] as? Int, 0)

        // `stats`, `jobs list` and `jobs show` read while `serve` writes, never busy.
        env = CrashRecoveryTests.environment(dir)
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let port = p.publicPort
        let posted = LockedList()
        let writing = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            defer { writing.signal() }
            guard let c = try? RawConnection(port: port) else { return }
            for i in 0..<300 {
                guard let id = try? CrashRecoveryTests.postOTP(c, identifier: String(format: "0815%08d", i), otp: "246810", channel: "sms")
                else { return }
                posted.append(id)
            }
        }
        var runs = 0
        while posted.all.count < 300 && runs < 40 {
            (st, _, err) = try runCommand(bin, ["stats"], environment: env, directory: dir.path)
            XCTAssertEqual(st, 0, err)
            (st, _, err) = try runCommand(bin, ["jobs", "list", "--limit", "5"], environment: env, directory: dir.path)
            XCTAssertEqual(st, 0, err)
            runs += 1
        }
        writing.wait()
        XCTAssertEqual(posted.all.count, 300)
        XCTAssertGreaterThan(runs, 0)
        let text: String
        (st, text, err) = try runCommand(bin, ["jobs", "show", posted.all[0]], environment: env, directory: dir.path)
        XCTAssertEqual(st, 0, err)
        XCTAssertTrue(text.contains(posted.all[0]), text)
        XCTAssertFalse(p.stderr.contains("busy"), p.stderr)
        XCTAssertEqual(p.terminate(), 0)
    }
}
