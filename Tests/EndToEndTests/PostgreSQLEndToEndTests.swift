import Foundation
import RelayTestSupport
import XCTest

/// The real binary, two nodes sharing one real PostgreSQL (`PostgresServer`) behind a slow
/// loopback gateway: a node killed mid-burst loses nothing acknowledged and its leases go to the
/// survivor; a node stopped past its lease has its late finishes refused; one OTP posted to both
/// nodes is one job; PostgreSQL killed and restarted under load gives 503s in the partner's shape,
/// loses nothing acknowledged, and both nodes recover without a restart.
final class PostgreSQLEndToEndTests: XCTestCase {
    static let password = CrashRecoveryTests.password

    struct Cluster {
        let server: PostgresServer
        let url: String
        let dir: TempDirectory
        let gateway: FakeProcess
        var nodes: [ServiceProcess] = []

        func jobs(_ sql: String) throws -> [String] { try server.query(url, sql) }
    }

    func cluster(slowMillis: Int = 150, leaseMillis: Int = 2_000, nodes: Int = 2, perIdentifierMax: Int = 10_000) throws -> Cluster {
        guard let server = PostgresServer.shared else { throw XCTSkip(PostgresServer.unavailableReason ?? "no PostgreSQL") }
        let dir = TempDirectory()
        let gateway = try FakeProcess(script: "fake_gateway.py", arguments: ["--out", dir.file("gateway.jsonl")])
        let config = """
            {"delivery": {"providers": {"gw": {"kind": "http", "method": "POST",
                                                "url": "http://127.0.0.1:\(gateway.port)/slow/\(slowMillis)",
                                                "body_kind": "json", "body_template": "{\\"to\\": \\"{to}\\", \\"text\\": \\"{text}\\"}",
                                                "channels": ["sms"], "total_timeout_ms": \(leaseMillis - 1_000)}},
                          "routes": {"sms": ["gw"]}, "workers": 8, "lease_ms": \(leaseMillis), "max_idle_ms": 500,
                          "retry": {"max_attempts": 10, "base_delay_ms": 100, "max_delay_ms": 500}},
             "rate_limits": {"per_identifier_max": \(perIdentifierMax)}}
            """
        try config.write(toFile: dir.file("config.json"), atomically: true, encoding: .utf8)
        var c = Cluster(server: server, url: try server.createDatabase(prefix: "e2e"), dir: dir, gateway: gateway)
        for n in 0..<nodes { c.nodes.append(try startNode(c, n)) }
        return c
    }

    func startNode(_ c: Cluster, _ n: Int) throws -> ServiceProcess {
        let nodeDir = c.dir.file("node\(n)")
        try FileManager.default.createDirectory(atPath: nodeDir, withIntermediateDirectories: true)
        var env = CrashRecoveryTests.environment(c.dir)
        env["OTP_RELAY_DB"] = nodeDir + "/unused.sqlite"
        env["OTP_RELAY_DATABASE_URL"] = c.url
        env["OTP_RELAY_CONFIG"] = c.dir.file("config.json")
        env["OTP_RELAY_SANDBOX_FILE"] = nodeDir + "/sandbox.jsonl"
        let p = try ServiceProcess(environment: env, directory: nodeDir)
        try p.waitUntilListening()
        return p
    }

    /// Posts `count` distinct OTPs to `port` on one keep-alive connection; the ids answered 200,
    /// and the other answers' statuses and bodies.
    static func burst(port: Int, count: Int, tag: Int) -> (ids: [String], others: [WireResponse]) {
        var ids: [String] = [], others: [WireResponse] = []
        var c = try? RawConnection(port: port)
        for i in 0..<count {
            let n = tag * 100_000 + i
            let req = WebhookRequest.post(
                body: WebhookRequest.body(
                    identifier: String(format: "0813%08d", n), otp: String(format: "%06d", n % 1_000_000), channel: "sms"),
                authorization: WebhookRequest.basic("simas-id", password))
            if c == nil { c = try? RawConnection(port: port) }
            guard let conn = c, (try? conn.send(req)) != nil, let r = try? conn.readResponse() else {
                c = nil
                continue
            }
            if r.status == 200, let id = r.json?["id"] as? String { ids.append(id) } else { others.append(r) }
        }
        return (ids, others)
    }

    /// Waits until every id in `ids` is `sent`; returns how many are not.
    static func waitSent(_ c: Cluster, _ ids: [String], seconds: Double) throws -> Int {
        let list = ids.map { "'\($0)'" }.joined(separator: ",")
        let deadline = Date().addingTimeInterval(seconds)
        var left = ids.count
        while Date() < deadline {
            left = Int(try c.jobs("SELECT count(*) FROM jobs WHERE id IN (\(list)) AND status <> 'sent'").first ?? "") ?? ids.count
            if left == 0 { return 0 }
            usleep(200_000)
        }
        return left
    }

    func testSIGKILLMidBurstLosesNothingAcknowledgedAndTheSurvivorTakesTheLeases() throws {
        var c = try cluster()
        defer { c.gateway.stop() }
        let ports = c.nodes.map(\.publicPort)
        let acked = LockedList()
        // The leases held at the kill: the dead node's, which no node finishes (the survivor
        // rescues them: an attempt `lease_expired` under the token), and the survivor's, which it
        // finishes under the same token. Both nodes claim from the one queue, so the dead node may
        // hold none (the survivor, woken by every NOTIFY, took each job first).
        let leases = LockedList()
        let killer = DispatchWorkItem { [node = c.nodes[0], c] in
            usleep(700_000)
            node.killNow()
            // A claim the dead node had already sent (one pipelined round trip: BEGIN … COMMIT)
            // still commits on the server after the kill: read the leases once it has (a lease
            // of 2 s cannot expire, and be rescued, in the meantime).
            usleep(500_000)
            ((try? c.jobs("SELECT id || ' ' || lease_token FROM jobs WHERE status = 'sending'")) ?? []).forEach(leases.append)
        }
        DispatchQueue.global().async(execute: killer)
        DispatchQueue.concurrentPerform(iterations: 4) { w in
            let r = Self.burst(port: ports[w % 2], count: 150, tag: w + 1)
            r.ids.forEach(acked.append)
        }
        killer.wait()
        let ids = acked.all
        XCTAssertGreaterThan(ids.count, 300)
        let started = Date()
        XCTAssertEqual(try Self.waitSent(c, ids, seconds: 60), 0, "acknowledged jobs not delivered after a node was killed")
        let took = Date().timeIntervalSince(started)
        let stored = Int(try c.jobs("SELECT count(*) FROM jobs").first ?? "0") ?? 0
        XCTAssertGreaterThanOrEqual(stored, ids.count)
        var rescued = 0
        for lease in leases.all {
            let p = lease.split(separator: " ")
            let ends = try c.jobs("SELECT coalesce(error_class, outcome) FROM attempts WHERE job_id = '\(p[0])' AND lease_token = \(p[1])")
            XCTAssertEqual(ends.count, 1, "the lease \(p[1]) held at the kill ended once (finished or rescued): \(ends)")
            if ends == ["lease_expired"] { rescued += 1 }
        }
        let expired = Int(try c.jobs("SELECT count(*) FROM attempts WHERE error_class = 'lease_expired'").first ?? "0") ?? 0
        XCTAssertEqual(expired, rescued, "only leases held at the kill were rescued (no living node's lease was taken)")
        print(
            "pg e2e: \(ids.count) acknowledged, \(leases.all.count) leased at the kill, \(rescued) of them the dead node's and "
                + "rescued; all sent in \(took) s"
        )
        XCTAssertEqual(c.nodes[1].terminate(), 0)
        c.nodes.removeAll()
    }

    func testSIGSTOPPastTheLeaseThenSIGCONTLateFinishesAreRefused() throws {
        var c = try cluster(slowMillis: 400, leaseMillis: 3_000, nodes: 1)
        defer {
            c.nodes.forEach { $0.terminate() }
            c.gateway.stop()
        }
        let a = c.nodes[0]
        let ids = Self.burst(port: a.publicPort, count: 8, tag: 7).ids
        XCTAssertEqual(ids.count, 8)
        // Wait until node a holds leases, then freeze it past the lease.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, (Int(try c.jobs("SELECT count(*) FROM jobs WHERE status = 'sending'").first ?? "0") ?? 0) == 0 {
            usleep(20_000)
        }
        a.signal(SIGSTOP)
        let tokens = try c.jobs("SELECT id || ' ' || lease_token FROM jobs WHERE status = 'sending'")
        XCTAssertFalse(tokens.isEmpty)
        c.nodes.append(try startNode(c, 1))  // b, started now: every lease above is a's
        // Past the lease (3 s) and past the server's end of a transaction a stops in (5 s): b rescues.
        usleep(7_500_000)
        a.signal(SIGCONT)
        XCTAssertEqual(
            try Self.waitSent(c, ids, seconds: 30), 0,
            "\((try? c.jobs("SELECT status, attempts, last_error FROM jobs")) ?? []) b: \(c.nodes[1].stderr.suffix(2000))")
        usleep(1_500_000)  // a's late finishes land (and are refused)
        for t in tokens {
            let parts = t.split(separator: " ")
            let rescued = try c.jobs(
                "SELECT count(*) FROM attempts WHERE job_id = '\(parts[0])' AND lease_token = \(parts[1]) AND error_class = 'lease_expired'"
            )
            XCTAssertEqual(rescued, ["1"], "the lease \(parts[1]) of the stopped node was not rescued: \(c.nodes[1].stderr.suffix(1500))")
            let sentUnderOld = try c.jobs(
                "SELECT count(*) FROM attempts WHERE job_id = '\(parts[0])' AND lease_token = \(parts[1]) AND outcome = 'sent'")
            XCTAssertEqual(sentUnderOld, ["0"], "a finish under the stolen lease \(parts[1]) applied")
        }
        XCTAssertEqual(try c.jobs("SELECT count(*) FROM jobs WHERE status = 'sent'"), ["8"])
        let log = a.stderr
        XCTAssertTrue(
            log.contains("lease lost") || log.contains("leases lost"), "node a's late finishes were not refused:\n\(log.suffix(3000))")
    }

    func testTheSameOTPPostedToEachNodeIsOneJob() throws {
        let c = try cluster()
        defer {
            c.nodes.forEach { $0.terminate() }
            c.gateway.stop()
        }
        var answers: [String] = []
        for round in 0..<5 {
            for node in c.nodes {
                let conn = try RawConnection(port: node.publicPort)
                try conn.send(
                    WebhookRequest.post(
                        body: WebhookRequest.body(identifier: "081399990000", otp: "73519\(round)", channel: "sms"),
                        authorization: WebhookRequest.basic("simas-id", Self.password)))
                let r = try XCTUnwrap(try conn.readResponse())
                XCTAssertEqual(r.status, 200, r.text)
                answers.append(try XCTUnwrap(r.json?["id"] as? String))
            }
            XCTAssertEqual(answers[answers.count - 1], answers[answers.count - 2], "one job for one OTP on two nodes")
        }
        XCTAssertEqual(Set(answers).count, 5)
        XCTAssertEqual(try c.jobs("SELECT count(*) FROM jobs"), ["5"])
    }

    /// Per-identifier limits are per node (docs/deployment.md): with `per_identifier_max` 2 each
    /// node takes two new OTPs for one identifier and refuses the third with the partner's 429, so
    /// two nodes take at most 2 × 2; a repeat of an accepted OTP on either node is the same job.
    func testPerIdentifierLimitIsPerNode() throws {
        let c = try cluster(perIdentifierMax: 2)
        defer {
            c.nodes.forEach { $0.terminate() }
            c.gateway.stop()
        }
        func post(_ node: ServiceProcess, _ otp: String) throws -> WireResponse {
            let conn = try RawConnection(port: node.publicPort)
            try conn.send(
                WebhookRequest.post(
                    body: WebhookRequest.body(identifier: "081377770000", otp: otp, channel: "sms"),
                    authorization: WebhookRequest.basic("simas-id", Self.password)))
            return try XCTUnwrap(try conn.readResponse())
        }
        var accepted: [String] = []
        for (n, node) in c.nodes.enumerated() {
            let answers = try (0..<3).map { try post(node, "6\(n)\($0)417") }
            XCTAssertEqual(answers.map(\.status), [200, 200, 429], "node \(n): \(answers.map(\.text))")
            XCTAssertEqual(answers[2].json?["error"] as? String, "rate_limited", answers[2].text)
            XCTAssertNotNil(answers[2].header("Retry-After"))
            accepted += answers.prefix(2).compactMap { $0.json?["id"] as? String }
            let repeated = try post(node, "6\(n)0417")
            XCTAssertEqual(repeated.status, 200, "a repeat of an accepted OTP is not a new one: \(repeated.text)")
            XCTAssertEqual(repeated.json?["id"] as? String, accepted[accepted.count - 2])
        }
        XCTAssertEqual(Set(accepted).count, 4)
        // The partner's retry of node 0's first OTP lands on node 1, which is at the limit and never
        // saw it: the first job's id (looked up in the database), not a 429; a new OTP still is one.
        let retried = try post(c.nodes[1], "600417")
        XCTAssertEqual(retried.status, 200, "a repeat from another node is not refused: \(retried.text)")
        XCTAssertEqual(retried.json?["id"] as? String, accepted[0])
        XCTAssertEqual(try post(c.nodes[1], "619417").status, 429)
        XCTAssertEqual(try c.jobs("SELECT count(*) FROM jobs"), ["4"], "nodes × per_identifier_max")
    }

    func testPostgreSQLKilledAndRestartedUnderLoad() throws {
        let c = try cluster(slowMillis: 20)
        defer {
            c.nodes.forEach { $0.terminate() }
            c.gateway.stop()
        }
        let ports = c.nodes.map(\.publicPort)
        let acked = LockedList()
        let refused = LockedList()
        let outage = DispatchWorkItem {
            usleep(600_000)
            try? c.server.stopImmediately()
            usleep(2_000_000)
            try? c.server.start()
        }
        DispatchQueue.global().async(execute: outage)
        DispatchQueue.concurrentPerform(iterations: 4) { w in
            let until = Date().addingTimeInterval(6)
            var i = 0
            while Date() < until {
                let r = Self.burst(port: ports[w % 2], count: 20, tag: 20 + w * 1000 + i)
                r.ids.forEach(acked.append)
                for o in r.others {
                    refused.append(
                        "\(o.status) \(o.json?["error"] as? String ?? "-") \(o.json?.count ?? 0) \(o.header("Retry-After") ?? "-")")
                }
                i += 1
            }
        }
        outage.wait()
        let ids = acked.all
        let others = refused.all
        print("pg e2e outage: \(ids.count) acknowledged, \(others.count) refused")
        XCTAssertGreaterThan(others.count, 0, "no request met the outage")
        for o in others { XCTAssertTrue(o.hasPrefix("503 service_unavailable 2 "), "not the partner's 503: \(o)") }
        XCTAssertEqual(try Self.waitSent(c, ids, seconds: 60), 0, "acknowledged jobs lost or undelivered after the outage")
        // Both nodes accept again without a restart.
        for (n, node) in c.nodes.enumerated() {
            let r = Self.burst(port: node.publicPort, count: 3, tag: 90 + n)
            XCTAssertEqual(r.ids.count, 3, "node \(n) did not recover: \(r.others.map(\.status))")
            XCTAssertEqual(try Self.waitSent(c, r.ids, seconds: 20), 0)
        }
    }
}
