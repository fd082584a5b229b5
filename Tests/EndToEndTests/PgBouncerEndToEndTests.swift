import Foundation
import RelayTestSupport
import XCTest

/// The real binary through a real PgBouncer in transaction mode (`PgBouncerProcess`, a small
/// server pool) in front of the real PostgreSQL (`PostgresServer`): `migrate`, two nodes taking
/// webhooks (200 after `COMMIT`), dedupe across the nodes, delivery by the sandbox, and the nodes'
/// client sessions sharing the pool's few server sessions. `LISTEN` cannot work through it: each
/// node's listener finds this out before it sends one (no session is left listening in the pool),
/// logs it as an error and reports `otp_relay_listener_ok 0`, and the poll still delivers; with
/// `database_listen_url` straight to the server the listener works and a webhook taken by one
/// node wakes another at once (the poll is 30 s).
final class PgBouncerEndToEndTests: XCTestCase {
    static let password = CrashRecoveryTests.password
    static let listenerError = "notifications do not reach this node's listener"

    struct Setup {
        let server: PostgresServer
        let bouncer: PgBouncerProcess
        let directURL: String
        let dir: TempDirectory
        var pooledURL: String { bouncer.url(for: directURL) }
        func rows(_ sql: String) throws -> [String] { try server.query(directURL, sql) }
    }

    func bouncedDatabase(poolSize: Int = 4) throws -> Setup {
        guard let server = PostgresServer.shared else { throw XCTSkip(PostgresServer.unavailableReason ?? "no PostgreSQL") }
        let bouncer = try PgBouncerProcess(server: server, poolSize: poolSize)
        return Setup(server: server, bouncer: bouncer, directURL: try server.createDatabase(prefix: "pgb"), dir: TempDirectory())
    }

    /// A node whose `database_url` goes through PgBouncer (and `database_listen_url`, if given, not).
    func startNode(_ s: Setup, _ n: Int, maxIdleMillis: Int, delivery: Bool = true, listenURL: String? = nil) throws -> ServiceProcess {
        let nodeDir = s.dir.file("node\(n)")
        try FileManager.default.createDirectory(atPath: nodeDir, withIntermediateDirectories: true)
        let config = #"""
            {"delivery_enabled": \#(delivery), "delivery": {"providers": {"dev": {"kind": "sandbox"}}, "routes": {"sms": ["dev"]},
                                                           "max_idle_ms": \#(maxIdleMillis)}}
            """#
        try config.write(toFile: nodeDir + "/config.json", atomically: true, encoding: .utf8)
        var env = CrashRecoveryTests.environment(s.dir)
        env["OTP_RELAY_DB"] = nodeDir + "/unused.sqlite"
        env["OTP_RELAY_DATABASE_URL"] = s.pooledURL
        env["OTP_RELAY_CONFIG"] = nodeDir + "/config.json"
        env["OTP_RELAY_SANDBOX_FILE"] = nodeDir + "/sandbox.jsonl"
        if let listenURL { env["OTP_RELAY_DATABASE_LISTEN_URL"] = listenURL }
        let p = try ServiceProcess(environment: env, directory: nodeDir)
        try p.waitUntilListening()
        return p
    }

    func post(_ c: RawConnection, identifier: String, otp: String) throws -> WireResponse {
        try c.send(
            WebhookRequest.post(
                body: WebhookRequest.body(identifier: identifier, otp: otp, channel: "sms"),
                authorization: WebhookRequest.basic("simas-id", Self.password)))
        return try XCTUnwrap(try c.readResponse())
    }

    func sentCount(_ s: Setup, _ ids: [String]) throws -> Int {
        let list = ids.map { "'\($0)'" }.joined(separator: ",")
        return Int(try s.rows("SELECT count(*) FROM jobs WHERE id IN (\(list)) AND status = 'sent'").first ?? "") ?? 0
    }

    /// The unlabelled gauge `name` in a node's `/metrics`; nil while it is not served.
    func gauge(_ p: ServiceProcess, _ name: String) -> Double? {
        let text = (try? admin(p.adminPort, "/metrics").text) ?? ""
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    /// No server session was left listening in PgBouncer's pool (it logs each notification such
    /// a session gets while it serves no client).
    func assertNoListeningServerSessionInThePool(_ s: Setup) {
        XCTAssertFalse(s.bouncer.log.contains("from server when not linked"), "a LISTEN was left on a pooled server session")
    }

    /// Error lines of a node's log other than the listener's (there must be none).
    func otherErrors(_ p: ServiceProcess) -> [Substring] {
        p.stderr.split(separator: "\n").filter { $0.contains("\"level\":\"error\"") && !$0.contains(Self.listenerError) }
    }

    func testTwoNodesThroughTransactionPoolingIngestDedupeAndDeliver() throws {
        let s = try bouncedDatabase(poolSize: 2)
        defer { s.bouncer.stop() }
        // The schema goes in through PgBouncer too (its advisory lock is transaction-level).
        let (status, out, err) = try runCommand(
            ServiceProcess.binary, ["migrate"],
            environment: CrashRecoveryTests.environment(s.dir).merging(["OTP_RELAY_DATABASE_URL": s.pooledURL]) { $1 })
        XCTAssertEqual(status, 0, out + err)
        let nodes = try (0..<2).map { try startNode(s, $0, maxIdleMillis: 300) }
        defer { nodes.forEach { $0.terminate() } }
        let conns = try nodes.map { try RawConnection(port: $0.publicPort) }
        var ids: [String] = []
        for i in 0..<40 {
            let r = try post(conns[i % 2], identifier: String(format: "0812%08d", i), otp: String(format: "%06d", 310_000 + i))
            XCTAssertEqual(r.status, 200, r.text)
            ids.append(try XCTUnwrap(r.json?["id"] as? String))
        }
        // The same OTP posted to each node is one job (dedupe in the database, through the pool).
        let first = try post(conns[0], identifier: "081299990000", otp: "902114")
        let again = try post(conns[1], identifier: "081299990000", otp: "902114")
        XCTAssertEqual(first.status, 200, first.text)
        XCTAssertEqual(again.status, 200, again.text)
        XCTAssertEqual(first.json?["id"] as? String, again.json?["id"] as? String, "one job for one OTP on two nodes")
        ids.append(try XCTUnwrap(first.json?["id"] as? String))
        XCTAssertEqual(try s.rows("SELECT count(*) FROM jobs"), ["41"])
        // Delivered by the sandbox, the wake-ups from the other node by the poll only.
        XCTAssertTrue(try waitFor(20, every: .milliseconds(100)) { try sentCount(s, ids) == ids.count }, "not all sent")
        let delivered = (0..<2).map { n in
            ((try? String(contentsOfFile: s.dir.file("node\(n)/sandbox.jsonl"), encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        XCTAssertEqual(delivered.reduce(0, +), ids.count, "each job delivered once: \(delivered)")
        // Every node session (writer, listener, pool, per node) is a PgBouncer client; the server
        // sees at most the pool's size of sessions from PgBouncer.
        let db = String(s.directURL.split(separator: "/").last ?? "")
        let clients = try s.bouncer.admin("SHOW CLIENTS").filter { $0.split(separator: "|").dropFirst(2).first == Substring(db) }
        let serverSessions = try s.rows(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '\(db)' AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        XCTAssertGreaterThan(clients.count, s.bouncer.poolSize, "clients: \(clients)")
        XCTAssertLessThanOrEqual(Int(serverSessions.first ?? "") ?? 99, s.bouncer.poolSize, "server sessions \(serverSessions)")
        print(
            "pgbouncer e2e: \(clients.count) node sessions on \(serverSessions.first ?? "?") server sessions (pool \(s.bouncer.poolSize))")
        // Each node found out that its listener hears nothing, and says so.
        for (n, p) in nodes.enumerated() {
            XCTAssertTrue(waitFor(10) { p.stderr.contains(Self.listenerError) }, "node \(n): no listener error:\n\(p.stderr.suffix(2000))")
            XCTAssertEqual(p.stderr.components(separatedBy: Self.listenerError).count - 1, 1, "one error, not one per probe")
            XCTAssertEqual(gauge(p, "otp_relay_listener_ok"), 0)
            XCTAssertEqual(otherErrors(p), [], "node \(n)")
            XCTAssertFalse(p.stderr.contains("902114"), "an OTP in the log")
        }
        assertNoListeningServerSessionInThePool(s)
    }

    func testListenerStraightToTheServerWakesAnotherNodeWithoutThePoll() throws {
        let s = try bouncedDatabase()
        defer { s.bouncer.stop() }
        // Node 0 takes webhooks only; node 1 delivers, polling every 30 s, its listener direct.
        let ingest = try startNode(s, 0, maxIdleMillis: 30_000, delivery: false)
        let worker = try startNode(s, 1, maxIdleMillis: 30_000, listenURL: s.directURL)
        defer { [ingest, worker].forEach { $0.terminate() } }
        XCTAssertTrue(waitFor(10) { gauge(worker, "otp_relay_listener_ok") == 1 }, worker.stderr.suffix(2000) + "")
        let c = try RawConnection(port: ingest.publicPort)
        for i in 0..<3 {
            let r = try post(c, identifier: String(format: "0813%08d", i), otp: String(format: "%06d", 520_000 + i))
            XCTAssertEqual(r.status, 200, r.text)
            let id = try XCTUnwrap(r.json?["id"] as? String)
            let started = Date()
            XCTAssertTrue(try waitFor(2, every: .milliseconds(20)) { try sentCount(s, [id]) == 1 }, "not woken by the other node's NOTIFY")
            print("pgbouncer e2e: woken across nodes in \(Int(Date().timeIntervalSince(started) * 1000)) ms (poll 30 s)")
        }
        XCTAssertFalse(worker.stderr.contains(Self.listenerError), worker.stderr.suffix(2000) + "")
        XCTAssertEqual(otherErrors(worker), [])
        XCTAssertEqual(otherErrors(ingest), [])
        XCTAssertTrue(ingest.stderr.contains(Self.listenerError), "the ingest node's listener, through PgBouncer, said nothing")
        assertNoListeningServerSessionInThePool(s)
    }
}
