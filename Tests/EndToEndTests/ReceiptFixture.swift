import Foundation
import RelayTestSupport
import XCTest

/// The real binary with a loopback Meta and Twilio that send signed receipts (Tests/Support/
/// receiptlib.py) to it, as behind nginx: they sign the public URL `https://otp.example.com/…`
/// and post to the relay's loopback port at the same path. The relay's store is `store`'s kind;
/// with several nodes (PostgreSQL) OTPs go to the first (`relay`) and receipts to the last.
final class ReceiptFixture {
    static let account = "AC0123456789abcdef0123456789abcdef"
    static let twilioToken = "twilio-auth-token-e2e"
    static let appSecret = "meta-app-secret-e2e"
    static let verifyToken = "meta-verify-token-e2e"
    static let publicBase = "https://otp.example.com"

    let dir = TempDirectory()
    let meta: FakeProcess
    let twilio: FakeProcess
    let nodes: [ServiceProcess]
    var relay: ServiceProcess { nodes[0] }
    let db: TestStore

    init(
        store: StoreKind, validitySeconds: Int = 300, fallbackAfterMillis: Int = 1_500, nodes count: Int = 1,
        maxIdleMillis: Int = 5_000
    ) throws {
        db = try TestStore(store, directory: dir)
        let relayFile = dir.file("relay-url")
        meta = try FakeProcess(
            script: "fake_meta.py",
            arguments: [
                "--out", dir.file("meta.jsonl"), "--version", "v21.0", "--phone-id", "1055", "--token", "meta-token",
                "--relay-file", relayFile, "--app-secret", Self.appSecret, "--receipts-url", Self.publicBase + "/v1/receipts/meta/meta",
            ])
        twilio = try FakeProcess(
            script: "fake_twilio.py",
            arguments: [
                "--out", dir.file("twilio.jsonl"), "--account", Self.account, "--user", Self.account, "--password", Self.twilioToken,
                "--relay-file", relayFile,
            ])
        let config = """
            {"public_base_url": "\(Self.publicBase)", "otp_validity_seconds": \(validitySeconds), "dedupe_window_seconds": 30,
             "delivery": {"providers": {
                "meta": {"kind": "meta_whatsapp", "phone_number_id": "1055", "access_token": "meta-token",
                         "template_name": "otp_auth", "base_url": "http://127.0.0.1:\(meta.port)", "status_callbacks": true,
                         "app_secret": "\(Self.appSecret)", "verify_token": "\(Self.verifyToken)"},
                "tw": {"kind": "twilio", "account_sid": "\(Self.account)", "auth_token": "\(Self.twilioToken)",
                       "sms_from": "+15005550006", "channels": ["sms"], "base_url": "http://127.0.0.1:\(twilio.port)",
                       "status_callbacks": true}},
              "routes": {"whatsapp": ["meta"], "sms": ["tw"]}, "fallback": {"whatsapp": "sms"},
              "fallback_after_ms": {"whatsapp": \(fallbackAfterMillis)}, "expire_sweep_ms": 200, "max_idle_ms": \(maxIdleMillis)}}
            """
        try config.write(toFile: dir.file("config.json"), atomically: true, encoding: .utf8)
        var env = CrashRecoveryTests.environment(dir).merging(db.environment) { $1 }
        env["OTP_RELAY_CONFIG"] = dir.file("config.json")
        var started: [ServiceProcess] = []
        for n in 0..<count {
            env["OTP_RELAY_SANDBOX_FILE"] = dir.file("sandbox-\(n).jsonl")
            started.append(try ServiceProcess(environment: env, directory: dir.path))
            try started[n].waitUntilListening()
        }
        nodes = started
        try "http://127.0.0.1:\(nodes[count - 1].publicPort)".write(toFile: relayFile, atomically: true, encoding: .utf8)
    }

    /// Stops every node (the first's exit status, or the first non-zero one) and the fakes.
    func stop() -> Int32 {
        let codes = nodes.map { $0.terminate() }
        let code = codes.first { $0 != 0 } ?? 0
        meta.stop()
        twilio.stop()
        return code
    }

    func post(_ identifier: String, otp: String, channel: String) throws -> String {
        try CrashRecoveryTests.postOTP(try RawConnection(port: relay.publicPort), identifier: identifier, otp: otp, channel: channel)
    }

    func status(_ id: String) throws -> String { try db.rows("SELECT status FROM jobs WHERE id = '\(id)'").first ?? "-" }

    /// `provider status error effect` per receipts row, oldest first.
    func receipts(_ id: String) throws -> [String] {
        try db.rows(
            "SELECT provider || ' ' || provider_status || ' ' || error_code || ' ' || effect FROM receipts WHERE job_id = '\(id)' "
                + "ORDER BY id")
    }

    func waitFor(_ timeout: Double, _ cond: () throws -> Bool) rethrows -> Bool {
        try RelayTestSupport.waitFor(timeout, cond)
    }

    /// Asks a fake to send one receipt (signed as the provider does, or badly, or not at all);
    /// the relay's answer status.
    func callback(_ fake: FakeProcess, _ spec: [String: Any]) throws -> Int {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        let c = try RawConnection(port: fake.port)
        try c.send(WebhookRequest.post(path: "/_callback", body: body, authorization: nil))
        return try XCTUnwrap(try c.readResponse()?.json?["status"] as? Int)
    }

    func twilioCallback(sid: String, status: String, code: String? = nil, signature: String = "good") throws -> Int {
        var params = [
            "AccountSid": Self.account, "MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
            "To": "+6281355501234", "From": "+15005550006", "ApiVersion": "2010-04-01",
        ]
        if let code { params["ErrorCode"] = code }
        return try callback(twilio, ["url": Self.publicBase + "/v1/receipts/twilio/tw", "params": params, "signature": signature])
    }

    func metaCallback(wamid: String, status: String, code: Int? = nil, signature: String = "good") throws -> Int {
        var s: [String: Any] = ["id": wamid, "status": status, "timestamp": "1764600000", "recipient_id": "6281355501234"]
        if let code { s["errors"] = [["code": code, "title": "t"]] }
        return try callback(meta, ["statuses": [s], "signature": signature])
    }

    /// One GET or POST on a listener; the status and body.
    func request(_ port: Int, _ head: String, body: String = "", auth: String? = nil) throws -> (Int, String) {
        var lines = [head, "Host: 127.0.0.1", "Content-Length: \(body.utf8.count)", "Connection: close"]
        if let auth { lines.append("Authorization: \(auth)") }
        let c = try RawConnection(port: port)
        try c.send(lines.joined(separator: "\r\n") + "\r\n\r\n" + body)
        let r = try XCTUnwrap(try c.readResponse())
        return (r.status, r.text)
    }

    func admin(_ path: String) throws -> (Int, String) {
        try request(relay.adminPort, "GET \(path) HTTP/1.1", auth: WebhookRequest.basic("admin", CrashRecoveryTests.password))
    }
}
