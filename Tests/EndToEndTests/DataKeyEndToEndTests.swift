import Foundation
import RelayTestSupport
import XCTest

/// The database is tied to its data key: a wrong key or a lost key file stops `serve` before
/// anything is read with it, and no job is turned dead. On the SQLite file here, on PostgreSQL in
/// `DataKeyEndToEndTestsOnPostgreSQL` (the fingerprints are in the database either way).
class DataKeyEndToEndTests: StoreEndToEndCase {
    static let otherKey = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()

    /// One queued job (delivery off), then the service stopped.
    private func databaseWithAQueuedJob(_ dir: TempDirectory, key: String? = nil) throws -> ([String: String], TestStore) {
        try Data(#"{"delivery_enabled": false}"#.utf8).write(to: URL(fileURLWithPath: dir.file("config.json")))
        var (env, db) = try storeEnvironment(dir, config: dir.file("config.json"))
        if let key { env["OTP_RELAY_DATA_KEY"] = key }
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        _ = try CrashRecoveryTests.postOTP(
            RawConnection(port: p.publicPort), identifier: "084512340987", otp: "123456", channel: "sms")
        XCTAssertEqual(p.terminate(), 0)
        XCTAssertEqual(try db.rows("SELECT status FROM jobs"), ["queued"])
        XCTAssertEqual(try db.rows("SELECT count(*) FROM data_keys"), ["1"])
        XCTAssertEqual(try db.rows("SELECT count(*) FROM data_key_index"), ["1"])
        return (env, db)
    }

    func testWrongKeyRefusesToStartAndTouchesNoJob() throws {
        let dir = TempDirectory()
        var (env, db) = try databaseWithAQueuedJob(dir)
        env["OTP_RELAY_CONFIG"] = nil  // delivery on: a started service would try the job
        env["OTP_RELAY_DATA_KEY"] = Self.otherKey
        let p = try ServiceProcess(environment: env, directory: dir.path)
        let status = p.waitForExit(timeoutSeconds: 20)
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(p.stderr.contains("the data key does not match this database"), p.stderr)
        XCTAssertFalse(p.stderr.contains("\"msg\":\"listening\""))
        XCTAssertFalse(p.stderr.contains(Self.otherKey) || p.stderr.contains(CrashRecoveryTests.key), "no key in the message")
        XCTAssertEqual(try db.rows("SELECT status, attempts FROM jobs"), ["queued|0"])
        // The right key still starts and delivers it.
        env["OTP_RELAY_DATA_KEY"] = CrashRecoveryTests.key
        let ok = try ServiceProcess(environment: env, directory: dir.path)
        try ok.waitUntilListening()
        let deadline = Date().addingTimeInterval(15)
        while try db.rows("SELECT status FROM jobs") != ["sent"] && Date() < deadline {
            usleep(50_000)
        }
        XCTAssertEqual(try db.rows("SELECT status FROM jobs"), ["sent"])
        XCTAssertEqual(ok.terminate(), 0)
    }

    /// A database from before fingerprints: the key is tried on a sealed payload first.
    func testDatabaseWithoutFingerprintIsCheckedOnAPayload() throws {
        let dir = TempDirectory()
        var (env, db) = try databaseWithAQueuedJob(dir)
        try db.execute("DELETE FROM data_keys; DELETE FROM data_key_index")
        env["OTP_RELAY_DATA_KEY"] = Self.otherKey
        let p = try ServiceProcess(environment: env, directory: dir.path)
        XCTAssertNotEqual(p.waitForExit(timeoutSeconds: 20), 0)
        XCTAssertTrue(p.stderr.contains("sealed with another data key"), p.stderr)
        XCTAssertEqual(try db.rows("SELECT count(*) FROM data_keys"), ["0"])
    }

    /// The generated key file is lost: `serve` does not make a new one over the jobs.
    func testMissingKeyFileWithJobsRefuses() throws {
        let dir = TempDirectory()
        var (env, db) = try storeEnvironment(dir, config: dir.file("config.json"))
        env["OTP_RELAY_DATA_KEY"] = nil  // the embedded default: a generated key file beside the database
        try Data(#"{"delivery_enabled": false}"#.utf8).write(to: URL(fileURLWithPath: dir.file("config.json")))
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
        XCTAssertEqual(try db.rows("SELECT status FROM jobs"), ["queued"])
    }
}

final class DataKeyEndToEndTestsOnPostgreSQL: DataKeyEndToEndTests {
    override class var store: StoreKind { .postgresql }
    override func testWrongKeyRefusesToStartAndTouchesNoJob() throws { try super.testWrongKeyRefusesToStartAndTouchesNoJob() }
    override func testDatabaseWithoutFingerprintIsCheckedOnAPayload() throws {
        try super.testDatabaseWithoutFingerprintIsCheckedOnAPayload()
    }
    override func testMissingKeyFileWithJobsRefuses() throws { try super.testMissingKeyFileWithJobsRefuses() }
}
