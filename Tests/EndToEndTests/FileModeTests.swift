import Foundation
import RelayTestSupport
import XCTest

/// Every file `serve` creates is readable by its owner only, whatever the umask it started with.
final class FileModeTests: XCTestCase {
    private func mode(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int(st.st_mode & 0o777)
    }

    private func generatedPassword(_ p: ServiceProcess) throws -> String {
        let deadline = Date().addingTimeInterval(10)
        while !p.stdout.contains("password:") && Date() < deadline { usleep(20_000) }
        return try XCTUnwrap(
            p.stdout.components(separatedBy: "\n").first { $0.contains("password:") }?
                .components(separatedBy: "password:").last?.trimmingCharacters(in: .whitespaces))
    }

    func testFilesOfAFreshRunAre0600() throws {
        let dir = TempDirectory()
        let previous = umask(0o022)  // the usual umask: files would be 0644 without the fix
        defer { umask(previous) }
        let p = try ServiceProcess(environment: [:], directory: dir.path)
        try p.waitUntilListening()
        let password = try generatedPassword(p)
        XCTAssertEqual(try p.postWebhook(identifier: "084512340987", otp: "123456", channel: "sms", password: password), 200)
        let sandbox = dir.file("otp-relay-sandbox.jsonl")
        let deadline = Date().addingTimeInterval(15)
        while ((try? String(contentsOfFile: sandbox, encoding: .utf8)) ?? "").isEmpty && Date() < deadline { usleep(50_000) }
        // While it runs: the database with its WAL and shared-memory files, and the rest.
        for f in [
            "otp-relay.sqlite", "otp-relay.sqlite-wal", "otp-relay.sqlite-shm", "otp-relay-sandbox.jsonl",
            "otp-relay.data-key", "otp-relay.credentials.json",
        ] {
            XCTAssertEqual(mode(dir.file(f)).map { String($0, radix: 8) }, "600", f)
        }
        XCTAssertEqual(p.terminate(), 0)
        XCTAssertEqual(mode(dir.file("otp-relay.sqlite")), 0o600)
    }

    func testServeRestrictsFilesLeftReadableByAnOlderVersion() throws {
        let dir = TempDirectory()
        let env = CrashRecoveryTests.environment(dir)
        let (status, _, err) = try runCommand(ServiceProcess.binary, ["migrate"], environment: env, directory: dir.path)
        XCTAssertEqual(status, 0, err)
        let db = dir.file("outbox.sqlite")
        XCTAssertEqual(mode(db), 0o600, "migrate creates the database 0600 too")
        XCTAssertEqual(chmod(db, 0o644), 0)
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        XCTAssertEqual(mode(db), 0o600)
        XCTAssertTrue(p.stderr.contains("file mode restricted to 0600"), p.stderr)
        XCTAssertEqual(p.terminate(), 0)
    }
}
