import Foundation
import RelayTestSupport
import XCTest

/// The real binary: the embedded default, the CLI, and what reaches the logs.
final class BinaryTests: XCTestCase {
    func testEmbeddedDefaultGeneratesSecretsOnceAndServes() throws {
        let dir = TempDirectory()
        // No configuration at all: only the ports are moved off 8080/9090 so tests can run in parallel.
        let p = try ServiceProcess(environment: [:], directory: dir.path)
        try p.waitUntilListening()
        // The credentials are printed right after the listeners start: wait for them.
        let deadline = Date().addingTimeInterval(10)
        while !p.stdout.contains("password:") && Date() < deadline { usleep(20_000) }
        let out = p.stdout
        let password = try XCTUnwrap(
            out.components(separatedBy: "\n").first { $0.contains("password:") }?
                .components(separatedBy: "password:").last?.trimmingCharacters(in: .whitespaces))
        XCTAssertGreaterThanOrEqual(password.count, 32)
        XCTAssertTrue(out.contains("/v1/webhooks/otp"))
        XCTAssertTrue(p.stderr.lowercased().contains("sandbox"), "the sandbox default is announced")
        for f in ["otp-relay.sqlite", "otp-relay.data-key", "otp-relay.credentials.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file(f)), f)
        }
        for f in ["otp-relay.data-key", "otp-relay.credentials.json"] {
            let mode = try FileManager.default.attributesOfItem(atPath: dir.file(f))[.posixPermissions] as? Int
            XCTAssertEqual(mode, 0o600, f)
        }
        let creds = try String(contentsOfFile: dir.file("otp-relay.credentials.json"), encoding: .utf8)
        XCTAssertFalse(creds.contains(password), "only a digest is stored")
        XCTAssertEqual(try p.postWebhook(identifier: "084512340987", otp: "123456", channel: "whatsapp", password: password), 200)
        XCTAssertEqual(p.terminate(), 0)
        XCTAssertFalse(p.stderr.contains(password))

        // Second start: nothing new generated, nothing printed, the same password works.
        let p2 = try ServiceProcess(environment: [:], directory: dir.path)
        try p2.waitUntilListening()
        XCTAssertFalse(p2.stdout.contains("password:"))
        XCTAssertEqual(try p2.postWebhook(identifier: "084512340987", otp: "654321", channel: "sms", password: password), 200)
        XCTAssertEqual(p2.terminate(), 0)
    }

    func testNoSecretInAnyLogLine() throws {
        let dir = TempDirectory()
        var env = CrashRecoveryTests.environment(dir)
        env["OTP_RELAY_LOG_LEVEL"] = "debug"
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let good = WebhookRequest.basic("simas-id", CrashRecoveryTests.password)
        let c = try RawConnection(port: p.publicPort)
        let cases: [(String, String, String, String)] = [
            ("084512340987", "918273", "whatsapp", good), ("alice.secret@example.com", "827364", "email", good),
            ("084512340987", "73645x", "sms", good),
            ("084512340999", "918274", "sms", WebhookRequest.basic("simas-id", "brute-force-guess")),
        ]
        for (ident, otp, ch, auth) in cases {
            try c.send(WebhookRequest.post(body: WebhookRequest.body(identifier: ident, otp: otp, channel: ch), authorization: auth))
            _ = try c.readResponse()
        }
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(p.terminate(), 0)
        let logs = p.stderr + p.stdout
        XCTAssertTrue(logs.contains("\"level\""))
        for secret in [
            "918273", "827364", "73645x", "918274", "084512340987", "84512340987", "alice.secret",
            CrashRecoveryTests.password, "brute-force-guess", CrashRecoveryTests.key,
        ] {
            XCTAssertFalse(logs.contains(secret), "a log line holds \(secret)")
        }
        for line in p.stderr.split(separator: "\n") {
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(line.utf8)), "not a JSON line: \(line)")
        }
    }

    func testCommandLine() throws {
        let dir = TempDirectory()
        let bin = ServiceProcess.binary
        var (status, out, err) = try runCommand(bin, ["--version"])
        XCTAssertEqual(status, 0); XCTAssertTrue(out.hasPrefix("otp-relay "))
        (status, out, _) = try runCommand(bin, ["--help"])
        XCTAssertEqual(status, 0); XCTAssertTrue(out.contains("credentials new"))
        for cmd in [["serve"], ["migrate"], ["credentials", "new"], ["config", "check"], ["token", "verify"]] {
            (status, out, _) = try runCommand(bin, cmd + ["--help"])
            XCTAssertEqual(status, 0, "\(cmd)"); XCTAssertTrue(out.lowercased().contains("usage"), "\(cmd)")
        }
        (status, _, err) = try runCommand(bin, ["serve", "--bogus"])
        XCTAssertEqual(status, 2); XCTAssertTrue(err.contains("--bogus"))
        (status, _, err) = try runCommand(bin, ["frobnicate"])
        XCTAssertEqual(status, 2); XCTAssertTrue(err.contains("frobnicate"))

        try #"{"listen": "127.0.0.1:1", "http": {"idle_timeot_ms": 5}}"#.write(
            toFile: dir.file("bad.json"), atomically: true, encoding: .utf8)
        (status, _, err) = try runCommand(bin, ["config", "check", "--config", dir.file("bad.json")])
        XCTAssertEqual(status, 1); XCTAssertTrue(err.contains("http.idle_timeot_ms"), err)
        (status, _, err) = try runCommand(bin, ["config", "check"], environment: ["OTP_RELAY_LISTEN": "nowhere"])
        XCTAssertEqual(status, 1); XCTAssertTrue(err.contains("OTP_RELAY_LISTEN"), err)
        try #"{"database": "\#(dir.file("x.sqlite"))"}"#.write(toFile: dir.file("good.json"), atomically: true, encoding: .utf8)
        (status, out, _) = try runCommand(bin, ["config", "check", "--config", dir.file("good.json")])
        XCTAssertEqual(status, 0, out)

        (status, out, _) = try runCommand(bin, ["migrate"], environment: ["OTP_RELAY_DB": dir.file("m.sqlite")])
        XCTAssertEqual(status, 0, out)
        XCTAssertEqual(try sqliteQuery(dir.file("m.sqlite"), "SELECT count(*) > 0 FROM schema_migrations"), ["1"])
        (status, out, _) = try runCommand(bin, ["migrate"], environment: ["OTP_RELAY_DB": dir.file("m.sqlite")])
        XCTAssertEqual(status, 0); XCTAssertTrue(out.contains("up to date"))

        let env = ["OTP_RELAY_DB": dir.file("c.sqlite")]
        (status, out, _) = try runCommand(bin, ["credentials", "new"], environment: env)
        XCTAssertEqual(status, 0)
        XCTAssertTrue(out.contains("/v1/webhooks/otp")); XCTAssertTrue(out.contains("username:"))
        let pw = try XCTUnwrap(out.components(separatedBy: "password:").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        let file = try String(contentsOfFile: dir.file("otp-relay.credentials.json"), encoding: .utf8)
        XCTAssertFalse(file.contains(pw))
    }
}
