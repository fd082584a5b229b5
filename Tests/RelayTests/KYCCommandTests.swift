import Foundation
import Outbox
import RelayCore
import RelayTestSupport
import SQEKYC
import XCTest

@testable import Relay

/// `otp-relay kyc store|get`, the real binary: it queues into the outbox a running service
/// delivers from (here the harness's pool on the same database and data key).
final class KYCCommandTests: XCTestCase {
    func env(_ h: KYCHarness, secret: String = SQEKYCFake.clientSecret) -> [String: String] {
        [
            "OTP_RELAY_DB": h.dbPath, "OTP_RELAY_DATA_KEY": h.key.base64, "OTP_RELAY_SQEKYC_BASE_URL": h.fake.baseURL,
            "OTP_RELAY_SQEKYC_CLIENT_ID": SQEKYCFake.clientID, "OTP_RELAY_SQEKYC_CLIENT_SECRET": secret, "USER": "tester",
        ]
    }

    func run(_ args: [String], _ env: [String: String], stdin: String? = nil, in dir: String) throws -> (Int32, String, String) {
        guard FileManager.default.fileExists(atPath: ServiceProcess.binary) else {
            throw XCTSkip("otp-relay binary not built at \(ServiceProcess.binary)")
        }
        return try runCommand(ServiceProcess.binary, ["kyc"] + args, environment: env, directory: dir, stdin: stdin)
    }

    func testStoreQueuesAndTheServiceDelivers() throws {
        let h = try KYCHarness()
        let (status, out, err) = try run(["store", "-"], env(h), stdin: KYCSample.body, in: h.dir.path)
        XCTAssertEqual(status, 0, err)
        let id = out.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(id.count, 26, out)
        h.pool?.wake()  // another process wrote the database: no commit observer fired here
        let job = try h.wait(id, for: .sent)
        XCTAssertEqual(job.kind, .kyc)
        XCTAssertEqual(h.fake.requests().count, 1)

        let file = h.dir.file("record.json")
        try KYCSample.body.write(toFile: file, atomically: true, encoding: .utf8)
        let (again, out2, _) = try run(["store", file], env(h), in: h.dir.path)
        XCTAssertEqual(again, 0)
        h.pool?.wake()
        try h.wait(out2.trimmingCharacters(in: .whitespacesAndNewlines), for: .sent)
    }

    func testStoreRefusesAnInvalidRecordNamingTheField() throws {
        let h = try KYCHarness(startPool: false)
        let bad = KYCSample.body.replacingOccurrences(of: "siti.rahayu@example.co.id", with: "siti.rahayu@")
        let (status, out, err) = try run(["store", "-"], env(h), stdin: bad, in: h.dir.path)
        XCTAssertEqual(status, 1)
        XCTAssertEqual(out, "")
        XCTAssertTrue(err.contains("Field \"email\" must be an email address"), err)
        KYCSample.assertNoPersonalData(err, "stderr")
        XCTAssertEqual(try h.store.jobs(matching: JobFilter()).count, 0)
    }

    func testGetPrintsTheRecord() throws {
        let h = try KYCHarness(startPool: false)
        let record = try KYCRecord.parse(Array(KYCSample.body.utf8), defaultClientID: nil, nowMillis: SystemClock().nowMillis())
        _ = try SQEKYCClient(configuration: h.settings.client).store(record)
        let (status, out, err) = try run(["get", "--phone", "0812-3456-7890"], env(h), in: h.dir.path)
        XCTAssertEqual(status, 0, err)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: String])
        XCTAssertEqual(json["nik"], "3201234567890001")
        XCTAssertEqual(json["phone_number"], KYCSample.normalizedPhone)
        XCTAssertEqual(json["id"], "kyc-1")

        let (missing, _, missingErr) = try run(["get", "--phone", "6289999999999"], env(h), in: h.dir.path)
        XCTAssertEqual(missing, 3)
        XCTAssertFalse(missingErr.contains("6289999999999"))
        let (refused, _, refusedErr) = try run(["get", "--phone", "6281234567890"], env(h, secret: "bad-secret-99"), in: h.dir.path)
        XCTAssertEqual(refused, 1)
        XCTAssertTrue(refusedErr.contains("credentials"), refusedErr)
        XCTAssertFalse(refusedErr.contains("bad-secret-99"))
    }

    func testUsage() throws {
        let h = try KYCHarness(startPool: false)
        let (help, out, _) = try run(["--help"], env(h), in: h.dir.path)
        XCTAssertEqual(help, 0)
        XCTAssertTrue(out.contains("otp-relay kyc store FILE|-"))
        let (bad, _, err) = try run(["get", "--phone", "628123456789", "--fone", "x"], env(h), in: h.dir.path)
        XCTAssertEqual(bad, 2)
        XCTAssertTrue(err.contains("unknown option --fone"), err)
        let (noKYC, _, offErr) = try run(["get", "--phone", "628123456789"], ["OTP_RELAY_DB": h.dbPath], in: h.dir.path)
        XCTAssertEqual(noKYC, 1)
        XCTAssertTrue(offErr.contains("sqekyc"), offErr)
    }
}
