import Foundation
import RelayTestSupport
import XCTest

/// The database is tied to its data key: a wrong key or a lost key file stops `serve` before
/// anything is read with it, and no job is turned dead.
final class DataKeyEndToEndTests: XCTestCase {
    static let otherKey = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()

    /// One queued job (delivery off), then the service stopped.
    private func databaseWithAQueuedJob(_ dir: TempDirectory, key: String? = nil) throws -> [String: String] {
        try Data(#"{"delivery_enabled": false}"#.utf8).write(to: URL(fileURLWithPath: dir.file("config.json")))
        var env = CrashRecoveryTests.environment(dir)
        env["OTP_RELAY_CONFIG"] = dir.file("config.json")
        if let key { env["OTP_RELAY_DATA_KEY"] = key }
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        _ = try CrashRecoveryTests.postOTP(
            RawConnection(port: p.publicPort), identifier: "084512340987", otp: "123456", channel: "sms")
        XCTAssertEqual(p.terminate(), 0)
        XCTAssertEqual(try sqliteQuery(dir.file("outbox.sqlite"), "SELECT status FROM jobs"), ["queued"])
        XCTAssertEqual(try sqliteQuery(dir.file("outbox.sqlite"), "SELECT count(*) FROM data_keys"), ["1"])
        XCTAssertEqual(try sqliteQuery(dir.file("outbox.sqlite"), "SELECT count(*) FROM data_key_index"), ["1"])
        return env
    }

    func testWrongKeyRefusesToStartAndTouchesNoJob() throws {
        let dir = TempDirectory()
        var env = try databaseWithAQueuedJob(dir)
        env["OTP_RELAY_CONFIG"] = nil  // delivery on: a started service would try the job
        env["OTP_RELAY_DATA_KEY"] = Self.otherKey
        let p = try ServiceProcess(environment: env, directory: dir.path)
        let status = p.waitForExit(timeoutSeconds: 20)
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(p.stderr.contains("the data key does not match this database"), p.stderr)
        XCTAssertFalse(p.stderr.contains("\"msg\":\"listening\""))
        XCTAssertFalse(p.stderr.contains(Self.otherKey) || p.stderr.contains(CrashRecoveryTests.key), "no key in the message")
        XCTAssertEqual(try sqliteQuery(dir.file("outbox.sqlite"), "SELECT status, attempts FROM jobs"), ["queued|0"])
        // The right key still starts and delivers it.
        env["OTP_RELAY_DATA_KEY"] = CrashRecoveryTests.key
        let ok = try ServiceProcess(environment: env, directory: dir.path)
        try ok.waitUntilListening()
        let deadline = Date().addingTimeInterval(15)
        while try sqliteQuery(dir.file("outbox.sqlite"), "SELECT status FROM jobs") != ["sent"] && Date() < deadline {
            usleep(50_000)
        }
        XCTAssertEqual(try sqliteQuery(dir.file("outbox.sqlite"), "SELECT status FROM jobs"), ["sent"])
        XCTAssertEqual(ok.terminate(), 0)
    }

    /// A database from before fingerprints: the key is tried on a sealed payload first.
    func testDatabaseWithoutFingerprintIsCheckedOnAPayload() throws {
        let dir = TempDirectory()
        var env = try databaseWithAQueuedJob(dir)
        _ = try runCommand("/usr/bin/sqlite3", [dir.file("outbox.sqlite"), "DELETE FROM data_keys; DELETE FROM data_key_index"])
        env["OTP_RELAY_DATA_KEY"] = Self.otherKey
        let p = try ServiceProcess(environment: env, directory: dir.path)
        XCTAssertNotEqual(p.waitForExit(timeoutSeconds: 20), 0)
        XCTAssertTrue(p.stderr.contains("sealed with another data key"), p.stderr)
        XCTAssertEqual(try sqliteQuery(dir.file("outbox.sqlite"), "SELECT count(*) FROM data_keys"), ["0"])
    }

    /// The generated key file is lost: `serve` does not make a new one over the jobs.
    func testMissingKeyFileWithJobsRefuses() throws {
        let dir = TempDirectory()
        var env = CrashRecoveryTests.environment(dir)
        env["OTP_RELAY_DATA_KEY"] = nil  // the embedded default: a generated key file beside the database
        try Data(#"{"delivery_enabled": false}"#.utf8).write(to: URL(fileURLWithPath: dir.file("config.json")))
        env["OTP_RELAY_CONFIG"] = dir.file("config.json")
        let first = try ServiceProcess(environment: env, directory: dir.path)
        try first.waitUntilListening()
        XCTAssertTrue(first.stderr.contains("generated a new data key"))
        _ = try CrashRecoveryTests.postOTP(
            RawConnection(port: first.publicPort), identifier: "084512340987", otp: "123456", channel: "sms")
        XCTAssertEqual(first.terminate(), 0)
        let keyFile = try XCTUnwrap(
            FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasSuffix(".data-key") })
        try FileManager.default.removeItem(atPath: dir.file(keyFile))

        let second = try ServiceProcess(environment: env, directory: dir.path)
        XCTAssertNotEqual(second.waitForExit(timeoutSeconds: 20), 0)
        XCTAssertTrue(second.stderr.contains("is missing but"), second.stderr)
        XCTAssertTrue(second.stderr.contains("Restore the key file"), second.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file(keyFile)), "no new key was written")
        XCTAssertEqual(try sqliteQuery(dir.file("outbox.sqlite"), "SELECT status FROM jobs"), ["queued"])
    }
}
