import Foundation
import RelayTestSupport
import XCTest

/// Delivery receipts on the real binary, from fakes that sign them exactly as Twilio and Meta do; on
/// the SQLite file here, on PostgreSQL in `ReceiptsEndToEndTestsOnPostgreSQL`.
class ReceiptsEndToEndTests: StoreEndToEndCase {
    func testWhatsAppFailedAfterAcceptanceIsResentBySMSWithTheSameCodeAndEndsDelivered() throws {
        let f = try ReceiptFixture(store: Self.store)
        // Meta accepts, then reports failed 131026 (not on WhatsApp); Twilio delivers the SMS.
        let id = try f.post("0813100131026", otp: "570284", channel: "whatsapp")
        XCTAssertTrue(try f.waitFor(15) { try f.status(id) == "delivered" }, (try? f.status(id)) ?? "?")
        XCTAssertTrue(try f.waitFor(5) { try f.receipts(id).count == 4 })
        XCTAssertEqual(
            try f.receipts(id),
            ["meta sent  none", "meta failed 131026 next_route", "tw sent  none", "tw delivered  delivered"])
        XCTAssertEqual(
            try f.db.rows(
                "SELECT route_step || ' ' || channel || ' ' || provider || ' ' || outcome FROM attempts "
                    + "WHERE job_id = '\(id)' ORDER BY attempt"),
            ["0 whatsapp meta sent", "1 sms tw sent"])
        XCTAssertEqual(
            try f.db.rows(
                "SELECT CAST(payload IS NULL AS integer), CAST(delivered_at IS NOT NULL AS integer) FROM jobs WHERE id = '\(id)'"), ["1|1"])
        let sms = try String(contentsOfFile: f.dir.file("twilio.jsonl"), encoding: .utf8)
        XCTAssertTrue(sms.contains("570284"), "the same code went out by SMS")
        XCTAssertTrue(sms.contains("StatusCallback=https%3A%2F%2Fotp.example.com%2Fv1%2Freceipts%2Ftwilio%2Ftw"))
        XCTAssertTrue(sms.contains("ValidityPeriod="))
        let meta = try String(contentsOfFile: f.dir.file("meta.jsonl"), encoding: .utf8)
        XCTAssertTrue(meta.contains("\"biz_opaque_callback_data\": \"\(id)\""))
        // Every callback was answered 200.
        for line in (sms + meta).split(separator: "\n") where line.contains("\"callback\"") {
            XCTAssertTrue(line.contains("\"response\": 200"), String(line))
        }
        let (status, shown) = try f.admin("/v1/jobs/\(id)")
        XCTAssertEqual(status, 200)
        XCTAssertTrue(shown.contains("\"provider_status\":\"failed\"") && shown.contains("\"error_code\":\"131026\""), shown)
        let (_, jobsShow, _) = try runCommand(ServiceProcess.binary, ["jobs", "show", id], environment: f.db.environment)
        XCTAssertTrue(jobsShow.contains("meta failed error 131026 -> next_route"), jobsShow)
        let (_, metrics) = try f.admin("/metrics")
        XCTAssertTrue(metrics.contains("otp_relay_receipts_total{provider=\"meta\",status=\"failed\"} 1"), metrics)
        XCTAssertTrue(metrics.contains("otp_relay_receipt_effects_total{provider=\"tw\",effect=\"delivered\"} 1"))
        XCTAssertTrue(metrics.contains("otp_relay_accept_to_delivered_seconds_count 1"))
        XCTAssertTrue(metrics.contains("otp_relay_delivered_ratio{provider=\"tw\"} 1"))
        let (_, page) = try f.admin("/")
        XCTAssertTrue(page.contains("Delivery receipts"), page)
        XCTAssertEqual(f.stop(), 0)
        for secret in ["570284", "6281310013102", ReceiptFixture.appSecret, ReceiptFixture.twilioToken, ReceiptFixture.verifyToken] {
            XCTAssertFalse(f.relay.stderr.contains(secret) || f.relay.stdout.contains(secret), secret)
            XCTAssertFalse(shown.contains(secret) || jobsShow.contains(secret) || page.contains(secret), secret)
        }
        for view in ["jobs_view", "attempts_view", "receipts_view", "delivery_ratio_minute"] {
            let rows = try f.db.rows("SELECT * FROM \(view)").joined(separator: "\n")
            XCTAssertFalse(rows.contains("570284") || rows.contains("6281310013102"), view)
        }
    }

    func testNoDeliveredReceiptFallsBackAfterFallbackAfterMs() throws {
        let f = try ReceiptFixture(store: Self.store, fallbackAfterMillis: 1_000)
        // Meta accepts and reports "sent" only.
        let id = try f.post("0813200000001", otp: "190377", channel: "whatsapp")
        XCTAssertTrue(try f.waitFor(15) { try f.status(id) == "delivered" }, (try? f.status(id)) ?? "?")
        let rows = try f.receipts(id)
        XCTAssertTrue(rows.contains("meta sent  none"), "\(rows)")
        XCTAssertTrue(rows.contains("meta no_delivered_receipt  next_route"), "\(rows)")
        XCTAssertEqual(rows.last, "tw delivered  delivered")
        XCTAssertTrue(try String(contentsOfFile: f.dir.file("twilio.jsonl"), encoding: .utf8).contains("190377"))
        XCTAssertEqual(f.stop(), 0)
    }

    func testForgedReplayedDuplicatedOutOfOrderAndUnknownReceiptsAndTheHandshake() throws {
        let f = try ReceiptFixture(store: Self.store)
        // An SMS that Twilio accepts and reports "sent" only: the receipts below are the test's.
        let id = try f.post("0813400000002", otp: "335571", channel: "sms")
        XCTAssertTrue(try f.waitFor(10) { try f.receipts(id).count == 1 })
        let sid = try XCTUnwrap(try f.db.rows("SELECT provider_message_id FROM attempts WHERE job_id = '\(id)'").first)
        // Forged (wrong token) and unsigned: 403, nothing changes.
        XCTAssertEqual(try f.twilioCallback(sid: sid, status: "delivered", signature: "bad"), 403)
        XCTAssertEqual(try f.twilioCallback(sid: sid, status: "delivered", signature: "none"), 403)
        XCTAssertEqual(try f.metaCallback(wamid: "wamid.X==", status: "delivered", signature: "bad"), 403)
        XCTAssertEqual(try f.status(id), "sent")
        XCTAssertEqual(try f.receipts(id).count, 1)
        // Out of order: delivered first, then a late "sent" and a failure: delivered stays.
        XCTAssertEqual(try f.twilioCallback(sid: sid, status: "delivered"), 200)
        XCTAssertEqual(try f.status(id), "delivered")
        XCTAssertEqual(try f.twilioCallback(sid: sid, status: "queued"), 200)
        XCTAssertEqual(try f.twilioCallback(sid: sid, status: "undelivered", code: "30003"), 200)
        XCTAssertEqual(try f.status(id), "delivered")
        // Replayed / duplicated: the same signed receipt again is accepted and changes nothing.
        XCTAssertEqual(try f.twilioCallback(sid: sid, status: "delivered"), 200)
        XCTAssertEqual(try f.twilioCallback(sid: sid, status: "delivered"), 200)
        XCTAssertEqual(try f.receipts(id), ["tw sent  none", "tw delivered  delivered", "tw queued  none", "tw undelivered 30003 none"])
        // Unknown message ids: 200 (providers retry anything else), counted, nothing stored.
        XCTAssertEqual(try f.twilioCallback(sid: "SM00000000000000000000000000000000", status: "delivered"), 200)
        XCTAssertEqual(try f.metaCallback(wamid: "wamid.UNKNOWN==", status: "read"), 200)
        XCTAssertEqual(try f.db.rows("SELECT count(*) FROM receipts"), ["4"])
        // The handshake.
        let base = "/v1/receipts/meta/meta?hub.mode=subscribe&hub.challenge=1158201444"
        XCTAssertEqual(try f.request(f.relay.publicPort, "GET \(base)&hub.verify_token=\(ReceiptFixture.verifyToken) HTTP/1.1").0, 200)
        XCTAssertEqual(
            try f.request(f.relay.publicPort, "GET \(base)&hub.verify_token=\(ReceiptFixture.verifyToken) HTTP/1.1").1, "1158201444")
        let wrong = try f.request(f.relay.publicPort, "GET \(base)&hub.verify_token=guess HTTP/1.1")
        XCTAssertEqual(wrong.0, 403)
        XCTAssertTrue(wrong.1.contains("\"error\""), "the partner's error shape: \(wrong.1)")
        XCTAssertEqual(try f.request(f.relay.publicPort, "POST /v1/receipts/twilio/nope HTTP/1.1").0, 404)
        XCTAssertEqual(try f.request(f.relay.publicPort, "DELETE /v1/receipts/twilio/tw HTTP/1.1").0, 405)
        // Bodies are capped at 64 KiB.
        let big = try f.request(f.relay.publicPort, "POST /v1/receipts/meta/meta HTTP/1.1", body: String(repeating: "x", count: 70_000))
        XCTAssertEqual(big.0, 413)
        let (_, metrics) = try f.admin("/metrics")
        XCTAssertTrue(metrics.contains("otp_relay_receipts_refused_total{reason=\"signature\"} 3"), metrics)
        XCTAssertTrue(metrics.contains("otp_relay_receipts_refused_total{reason=\"handshake\"} 1"))
        XCTAssertTrue(metrics.contains("otp_relay_receipts_unknown_total{provider=\"tw\"} 1"))
        XCTAssertTrue(metrics.contains("otp_relay_receipts_unknown_total{provider=\"meta\"} 1"))
        XCTAssertTrue(metrics.contains("otp_relay_receipts_duplicate_total 2"))
        // Throttled per client like failed BasicAuth: past the limit, 429.
        var statuses: [Int] = []
        for _ in 0..<25 { statuses.append(try f.twilioCallback(sid: sid, status: "failed", signature: "bad")) }
        XCTAssertEqual(statuses.last, 429, "\(statuses)")
        XCTAssertEqual(f.stop(), 0)
        for secret in ["335571", "6281340000000", ReceiptFixture.twilioToken, ReceiptFixture.verifyToken] {
            XCTAssertFalse(f.relay.stderr.contains(secret), secret)
        }
    }

    func testReceiptAfterExpiry() throws {
        let f = try ReceiptFixture(store: Self.store, validitySeconds: 30)
        let id = try f.post("0813400000003", otp: "804417", channel: "sms")
        XCTAssertTrue(try f.waitFor(10) { try f.receipts(id).count == 1 })
        XCTAssertEqual(try f.db.rows("SELECT status, CAST(payload IS NOT NULL AS integer) FROM jobs WHERE id = '\(id)'"), ["sent|1"])
        // Past the validity the sweep erases the code; the job stays sent (no receipt said more).
        XCTAssertTrue(try f.waitFor(40) { try f.db.rows("SELECT CAST(payload IS NULL AS integer) FROM jobs WHERE id = '\(id)'") == ["1"] })
        XCTAssertEqual(try f.status(id), "sent")
        let sid = try XCTUnwrap(try f.db.rows("SELECT provider_message_id FROM attempts WHERE job_id = '\(id)'").first)
        XCTAssertEqual(try f.twilioCallback(sid: sid, status: "undelivered", code: "30003"), 200)
        XCTAssertEqual(try f.status(id), "undelivered", "a failure after expiry: nothing to resend")
        XCTAssertEqual(try f.receipts(id).last, "tw undelivered 30003 undelivered")
        XCTAssertEqual(try f.db.rows("SELECT count(*) FROM attempts WHERE job_id = '\(id)'"), ["1"], "not sent again")
        XCTAssertEqual(f.stop(), 0)
    }
}

final class ReceiptsEndToEndTestsOnPostgreSQL: ReceiptsEndToEndTests {
    override class var store: StoreKind { .postgresql }
    override func testWhatsAppFailedAfterAcceptanceIsResentBySMSWithTheSameCodeAndEndsDelivered() throws {
        try super.testWhatsAppFailedAfterAcceptanceIsResentBySMSWithTheSameCodeAndEndsDelivered()
    }
    override func testNoDeliveredReceiptFallsBackAfterFallbackAfterMs() throws {
        try super.testNoDeliveredReceiptFallsBackAfterFallbackAfterMs()
    }
    override func testForgedReplayedDuplicatedOutOfOrderAndUnknownReceiptsAndTheHandshake() throws {
        try super.testForgedReplayedDuplicatedOutOfOrderAndUnknownReceiptsAndTheHandshake()
    }
    override func testReceiptAfterExpiry() throws { try super.testReceiptAfterExpiry() }

    /// Two nodes on one PostgreSQL: the WhatsApp message node A sent fails by a receipt that
    /// reaches node B, the job moves to SMS (sent with the same code by either node) and ends
    /// delivered by Twilio's receipt to B. The workers' poll is 30 s and the no-receipt fallback
    /// 60 s, so a resend within 15 s is the receipt's own wake-up.
    func testAReceiptReachingTheOtherNodeMovesTheJobOn() throws {
        let f = try ReceiptFixture(store: .postgresql, fallbackAfterMillis: 60_000, nodes: 2, maxIdleMillis: 30_000)
        let id = try f.post("0813100131026", otp: "570284", channel: "whatsapp")
        XCTAssertTrue(try f.waitFor(15) { try f.status(id) == "delivered" }, (try? f.status(id)) ?? "?")
        XCTAssertTrue(try f.waitFor(5) { try f.receipts(id).count == 4 })
        XCTAssertEqual(
            try f.receipts(id), ["meta sent  none", "meta failed 131026 next_route", "tw sent  none", "tw delivered  delivered"])
        XCTAssertTrue(try String(contentsOfFile: f.dir.file("twilio.jsonl"), encoding: .utf8).contains("570284"))
        let shown = try admin(f.relay.adminPort, "/v1/jobs/\(id)")
        XCTAssertEqual(shown.json?["status"] as? String, "delivered", shown.text)
        XCTAssertEqual(f.stop(), 0)
        for node in f.nodes { XCTAssertFalse(node.stderr.contains("570284"), "no OTP in a log") }
    }
}
