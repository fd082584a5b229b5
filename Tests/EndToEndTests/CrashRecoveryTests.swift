import Foundation
import RelayTestSupport
import XCTest

/// The real binary: acknowledged jobs survive SIGKILL (on the SQLite file here, on PostgreSQL in
/// `CrashRecoveryTestsOnPostgreSQL`). Its statics are the end-to-end suites' test credentials.
class CrashRecoveryTests: StoreEndToEndCase {
    static let password = "e2e-password-0123456789"
    static let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()

    static func environment(_ dir: TempDirectory) -> [String: String] {
        [
            "OTP_RELAY_DB": dir.file("outbox.sqlite"), "OTP_RELAY_WEBHOOK_USERNAME": "simas-id",
            "OTP_RELAY_WEBHOOK_PASSWORD": password, "OTP_RELAY_ADMIN_USERNAME": "admin",
            "OTP_RELAY_ADMIN_PASSWORD": password, "OTP_RELAY_DATA_KEY": key,
            "OTP_RELAY_SANDBOX_FILE": dir.file("sandbox.jsonl"),
        ]
    }

    /// Posts one OTP with the test credentials on `c` and returns the id the service answered.
    static func postOTP(_ c: RawConnection, identifier: String, otp: String, channel: String) throws -> String {
        try c.send(
            WebhookRequest.post(
                body: WebhookRequest.body(identifier: identifier, otp: otp, channel: channel),
                authorization: WebhookRequest.basic("simas-id", password)))
        return try XCTUnwrap(try c.readResponse()?.json?["id"] as? String)
    }

    /// Posts `count` OTPs on `c`: identifiers `identifierPrefix` + 8 digits, OTPs `otpPrefix` + 5
    /// digits (the index); their job ids, in order.
    static func postOTPs(_ c: RawConnection, count: Int, identifierPrefix: String, otpPrefix: String) throws -> [String] {
        try (0..<count).map { i in
            try postOTP(
                c, identifier: identifierPrefix + String(format: "%08d", i), otp: otpPrefix + String(format: "%05d", i),
                channel: "sms")
        }
    }

    func testEveryAcknowledgedJobSurvivesSIGKILL() throws {
        let dir = TempDirectory()
        let (env, db) = try storeEnvironment(dir)
        let p = try ServiceProcess(environment: env, directory: dir.path)
        try p.waitUntilListening()
        let auth = WebhookRequest.basic("simas-id", Self.password)

        // A burst from 8 keep-alive connections, pipelined 25 deep; collect every 200's id.
        let acked = LockedList()
        let port = p.publicPort
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            WebhookRequest.pipelinedBurst(port: port, authorization: auth, rounds: 5, first: worker * 1000) { n in
                WebhookRequest.body(identifier: String(format: "0812%08d", n), otp: String(format: "%06d", n), channel: "sms")
            } accepted: {
                acked.append($0)
            }
        }
        p.killNow()  // SIGKILL right after the burst
        let ids = acked.all
        XCTAssertEqual(ids.count, 1000)

        // Restart on the same store: every acknowledged job is there.
        let p2 = try ServiceProcess(environment: env, directory: dir.path)
        try p2.waitUntilListening()
        let stored = Set(try db.rows("SELECT id FROM jobs"))
        let missing = ids.filter { !stored.contains($0) }
        XCTAssertEqual(missing, [], "acknowledged jobs lost after SIGKILL")
        XCTAssertEqual(p2.terminate(), 0)
    }
}

final class CrashRecoveryTestsOnPostgreSQL: CrashRecoveryTests {
    override class var store: StoreKind { .postgresql }
    override func testEveryAcknowledgedJobSurvivesSIGKILL() throws { try super.testEveryAcknowledgedJobSurvivesSIGKILL() }
}
