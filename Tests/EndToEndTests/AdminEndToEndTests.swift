import Foundation
import RelayTestSupport
import XCTest

/// The admin API of the real binary over its store: jobs a refusing provider made dead are listed
/// (filtered, paged), shown with their tries, counted by `/v1/stats` and `/metrics`, replayed by
/// id and by filter (dry run first) once the provider is fixed, and end sent with their audit
/// rows. On the SQLite file here; on PostgreSQL in `AdminEndToEndTestsOnPostgreSQL`, also across
/// two nodes (accepted on one, seen and replayed through the other's admin API).
class AdminEndToEndTests: StoreEndToEndCase {
    func testJobsStatsMetricsAndReplayThroughTheAdminAPI() throws {
        try checkAdminAPI(nodes: 1)
    }

    /// `nodes` binaries on one store (more than one: PostgreSQL only) behind a gateway that
    /// refuses (HTTP 400, permanent) until the test removes its flag file. OTPs are posted to the
    /// first node; every admin call but the bulk replay goes to the last.
    func checkAdminAPI(nodes count: Int) throws {
        let dir = TempDirectory()
        let gateway = try FakeProcess(script: "fake_gateway.py", arguments: ["--out", dir.file("gateway.jsonl")])
        defer { gateway.stop() }
        try Data().write(to: URL(fileURLWithPath: dir.file("gw-down")))
        let config = """
            {"delivery": {"providers": {"gw": {"kind": "http", "method": "POST", "url": "http://127.0.0.1:\(gateway.port)/broken/gw-down",
                                                "body_kind": "json", "body_template": "{\\"to\\": \\"{to}\\", \\"text\\": \\"{text}\\"}",
                                                "channels": ["sms"]}},
                          "routes": {"sms": ["gw"]}, "max_idle_ms": 300}}
            """
        try config.write(toFile: dir.file("config.json"), atomically: true, encoding: .utf8)
        let (base, db) = try storeEnvironment(dir, config: dir.file("config.json"))
        var nodes: [ServiceProcess] = []
        defer { nodes.forEach { $0.terminate() } }
        for n in 0..<count {
            var env = base
            env["OTP_RELAY_SANDBOX_FILE"] = dir.file("sandbox-\(n).jsonl")
            nodes.append(try ServiceProcess(environment: env, directory: dir.path))
            try nodes[n].waitUntilListening()
        }
        let accepting = nodes[0], port = nodes[count - 1].adminPort
        let ids = try CrashRecoveryTests.postOTPs(
            RawConnection(port: accepting.publicPort), count: 3, identifierPrefix: "0817", otpPrefix: "4")
        XCTAssertTrue(try waitFor(15) { try db.jobs(where: "status = 'dead'") == 3 }, "\((try? db.rows("SELECT status FROM jobs")) ?? [])")

        // Listed (filtered, newest first, paged), shown with the refused try, counted.
        let list = try admin(port, "/v1/jobs?status=dead&channel=sms")
        XCTAssertEqual(list.status, 200, list.text)
        XCTAssertEqual(Set((list.json?["jobs"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }), Set(ids))
        XCTAssertFalse(list.text.contains("400000") || list.text.contains("81700000000"), "no OTP, recipients masked: \(list.text)")
        XCTAssertEqual(try admin(port, "/v1/jobs?status=sent").json?["count"] as? Int, 0)
        let page = try admin(port, "/v1/jobs?status=dead&limit=2")
        XCTAssertEqual(page.json?["count"] as? Int, 2)
        let next = try XCTUnwrap(page.json?["next_before"] as? String)
        let rest = try admin(port, "/v1/jobs?status=dead&limit=2&before=\(next)")
        let paged = (page.json?["jobs"] as? [[String: Any]] ?? []) + (rest.json?["jobs"] as? [[String: Any]] ?? [])
        XCTAssertEqual(paged.compactMap { $0["id"] as? String }, ids.reversed(), "two pages, newest first")
        let show = try admin(port, "/v1/jobs/\(ids[0])")
        XCTAssertEqual(show.json?["status"] as? String, "dead", show.text)
        XCTAssertEqual((show.json?["attempts_detail"] as? [[String: Any]])?.first?["http_status"] as? Int, 400, show.text)
        XCTAssertEqual(try admin(port, "/v1/jobs/01JD0000000000000000000000").status, 404)
        let stats = try admin(port, "/v1/stats").json
        XCTAssertEqual((stats?["jobs"] as? [String: Any])?["dead"] as? Int, 3, "\(stats ?? [:])")
        XCTAssertEqual(((stats?["by_channel"] as? [String: Any])?["sms"] as? [String: Any])?["dead"] as? Int, 3)
        XCTAssertTrue(try waitFor(10) { try self.metric(port, #"otp_relay_jobs{channel="sms",status="dead"}"#) == 3 })
        XCTAssertEqual(try admin(port, "/readyz").status, 200)
        let statusPage = try admin(port, "/")
        XCTAssertEqual(statusPage.status, 200)
        XCTAssertTrue(statusPage.text.contains("otp-relay status"))

        // A dry run changes nothing; the provider is fixed; one by id, the rest by filter.
        let dry = try adminPost(port, "/v1/jobs/replay", #"{"status":"dead","dry_run":true,"reason":"gateway fixed"}"#)
        XCTAssertEqual(dry.json?["replayed"] as? Int, 3, dry.text)
        XCTAssertEqual(try db.jobs(where: "status = 'dead'"), 3, "dry run changes nothing")
        try FileManager.default.removeItem(atPath: dir.file("gw-down"))
        XCTAssertEqual(try adminPost(port, "/v1/jobs/\(ids[0])/replay", "{}").status, 400, "a reason is required")
        let one = try adminPost(port, "/v1/jobs/\(ids[0])/replay", #"{"reason":"customer called"}"#)
        XCTAssertEqual(one.status, 200, one.text)
        let bulk = try adminPost(
            accepting.adminPort, "/v1/jobs/replay", #"{"status":"dead","channel":"sms","since":"1h","reason":"gateway fixed"}"#)
        XCTAssertEqual(bulk.json?["replayed"] as? Int, 2, bulk.text)
        XCTAssertTrue(try waitFor(15) { try db.jobs(where: "status = 'sent'") == 3 }, "\((try? db.rows("SELECT status FROM jobs")) ?? [])")
        XCTAssertEqual(try adminPost(port, "/v1/jobs/\(ids[0])/replay", #"{"reason":"again"}"#).status, 409, "only dead jobs")
        XCTAssertEqual(
            try db.rows("SELECT actor || '|' || reason FROM replays ORDER BY id"),
            ["admin|customer called", "admin|gateway fixed", "admin|gateway fixed"])
        XCTAssertEqual(try db.jobs(where: "status = 'sent' AND payload IS NULL"), 3)
        XCTAssertEqual(try admin(port, "/v1/jobs?status=sent").json?["count"] as? Int, 3)
        XCTAssertTrue(try waitFor(10) { try self.metric(port, #"otp_relay_jobs{channel="sms",status="sent"}"#) == 3 })
        let shown = try admin(port, "/v1/jobs/\(ids[0])")
        XCTAssertEqual((shown.json?["attempts_detail"] as? [[String: Any]])?.map { $0["outcome"] as? String }, ["permanent", "sent"])
        for (n, node) in nodes.enumerated() {
            XCTAssertEqual(node.terminate(), 0)
            XCTAssertFalse(node.stderr.contains("400000") || node.stderr.contains("81700000000"), "node \(n) logged a secret")
        }
    }
}

final class AdminEndToEndTestsOnPostgreSQL: AdminEndToEndTests {
    override class var store: StoreKind { .postgresql }
    override func testJobsStatsMetricsAndReplayThroughTheAdminAPI() throws { try super.testJobsStatsMetricsAndReplayThroughTheAdminAPI() }

    /// Two nodes on one PostgreSQL: what node A accepted is listed, shown, counted (`/v1/stats`,
    /// `/metrics`) and replayed through node B's admin API, and a bulk replay on A sees the rest.
    func testAJobAcceptedOnOneNodeIsSeenAndReplayedThroughTheOther() throws {
        try checkAdminAPI(nodes: 2)
    }
}
