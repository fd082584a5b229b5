import Foundation
import RelayTestSupport
import XCTest

/// deploy/prometheus and deploy/grafana against the real binary: every metric they name is one
/// `/metrics` serves (or is listed as pending), and a real Prometheus scrapes the admin `/metrics`
/// with basic auth, loads the alerts, answers queries through its HTTP API and evaluates every
/// dashboard expression. On the SQLite file here, on PostgreSQL in
/// `PrometheusEndToEndTestsOnPostgreSQL` (the store's gauges come from either).
class PrometheusEndToEndTests: StoreEndToEndCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static func text(_ relative: String) throws -> String { try String(contentsOfFile: repository + "/" + relative, encoding: .utf8) }

    /// The metric names in `text` (otp_relay_…).
    static func names(in text: String) -> Set<String> {
        let re = try! NSRegularExpression(pattern: "otp_relay_[a-z0-9_]+")
        return Set(re.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) })
    }

    /// The names a scrape serves: each `# TYPE` family, with the series names its type implies.
    static func served(_ scrape: String) -> Set<String> {
        var out = Set<String>()
        for line in scrape.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            guard parts.count == 4 else { continue }
            let name = String(parts[2])
            out.insert(name)
            if parts[3] == "histogram" { out.formUnion([name + "_bucket", name + "_sum", name + "_count"]) }
            if parts[3] == "summary" { out.formUnion([name + "_sum", name + "_count"]) }
        }
        return out
    }

    static var pending: Set<String> {
        Set(
            ((try? text("deploy/prometheus/pending-metrics.txt")) ?? "").split(separator: "\n").map(String.init).filter {
                $0.hasPrefix("otp_relay_")
            })
    }

    /// Every expression of the dashboard.
    static func dashboardExpressions() throws -> [String] {
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text("deploy/grafana/otp-relay.json").utf8)) as? [String: Any])
        let panels = try XCTUnwrap(json["panels"] as? [[String: Any]])
        return panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
    }

    func testAlertsAndDashboardNameOnlyServedMetricsAndARealPrometheusScrapesThem() throws {
        guard PrometheusProcess.isInstalled else {
            return XCTFail("prometheus is not installed (scripts/install-deps --test installs it)")
        }
        let dir = TempDirectory()
        let p = try ServiceProcess(environment: try storeEnvironment(dir).0, directory: dir.path)
        try p.waitUntilListening()
        let c = try RawConnection(port: p.publicPort)
        let ids = try CrashRecoveryTests.postOTPs(c, count: 5, identifierPrefix: "0816", otpPrefix: "3")
        XCTAssertEqual(ids.count, 5)

        // The names: alerts and dashboard against a live scrape.
        let scrape = try admin(p.adminPort, "/metrics")
        XCTAssertEqual(scrape.status, 200)
        let served = Self.served(scrape.text)
        XCTAssertTrue(served.contains("otp_relay_store_writable"), scrape.text)
        let pending = Self.pending
        // Names only the PostgreSQL store serves (alerts on them never fire on SQLite).
        let postgresqlOnly: Set<String> = ["otp_relay_listener_ok"]
        if Self.store == .postgresql {
            XCTAssertEqual(postgresqlOnly.subtracting(served).sorted(), [], "the PostgreSQL store serves its own names")
        }
        let otherStore = Self.store == .postgresql ? [] : postgresqlOnly
        for file in ["deploy/prometheus/alerts.yml", "deploy/grafana/otp-relay.json"] {
            let used = Self.names(in: try Self.text(file))
            XCTAssertFalse(used.isEmpty, file)
            XCTAssertEqual(
                used.subtracting(served).subtracting(pending).subtracting(otherStore).sorted(), [],
                "\(file) names metrics /metrics does not serve")
            for name in used.intersection(pending).intersection(served) {
                print("note: \(name) is served now; remove it from deploy/prometheus/pending-metrics.txt")
            }
        }
        let usedAnywhere = Self.names(in: try Self.text("deploy/prometheus/alerts.yml") + Self.text("deploy/grafana/otp-relay.json"))
        XCTAssertTrue(pending.isSubset(of: usedAnywhere), "every pending name is used")

        // A real Prometheus scraping the admin listener with basic auth (password from a file).
        try CrashRecoveryTests.password.write(toFile: dir.file("scrape-password"), atomically: true, encoding: .utf8)
        let promDir = dir.file("prometheus")
        try FileManager.default.createDirectory(atPath: promDir, withIntermediateDirectories: true)
        let prom = try PrometheusProcess(
            directory: promDir,
            config: """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files:
                  - \(Self.repository)/deploy/prometheus/alerts.yml
                scrape_configs:
                  - job_name: otp-relay
                    basic_auth:
                      username: admin
                      password_file: \(dir.file("scrape-password"))
                    static_configs:
                      - targets: ["127.0.0.1:\(p.adminPort)"]

                """)
        defer { prom.stop() }
        try prom.waitUntilReady()
        func value(_ q: String) throws -> String? {
            let r = try prom.query(q)
            let result = ((r?["data"] as? [String: Any])?["result"] as? [[String: Any]])?.first
            return (result?["value"] as? [Any])?.last as? String
        }
        var accepted: String?
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            accepted = try value("otp_relay_webhook_accepted_total")
            if accepted == "5" { break }
            usleep(200_000)
        }
        XCTAssertEqual(accepted, "5", "scraped through basic auth: \(prom.log)")
        XCTAssertEqual(try value(#"up{job="otp-relay"}"#), "1")
        XCTAssertEqual(try value("otp_relay_store_writable"), "1")

        // The alerts loaded and evaluate; none fires on a healthy service.
        let rules = try XCTUnwrap(try prom.get("/api/v1/rules"))
        let groups = try XCTUnwrap((rules["data"] as? [String: Any])?["groups"] as? [[String: Any]])
        let loaded = groups.flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        let defined = try Self.text("deploy/prometheus/alerts.yml").components(separatedBy: "- alert: ").count - 1
        XCTAssertGreaterThanOrEqual(defined, 11)
        XCTAssertEqual(loaded.count, defined, "every alert of alerts.yml loaded")
        var evaluated: [[String: Any]] = []
        let evaluation = Date().addingTimeInterval(15)
        repeat {
            usleep(200_000)
            let groups = ((try prom.get("/api/v1/rules"))?["data"] as? [String: Any])?["groups"] as? [[String: Any]] ?? []
            evaluated = groups.flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        } while Date() < evaluation && (evaluated.isEmpty || evaluated.contains { $0["health"] as? String == "unknown" })
        for r in evaluated {
            XCTAssertEqual(r["health"] as? String, "ok", "\(r["name"] ?? "?"): \(r["lastError"] ?? "")")
            XCTAssertEqual(r["state"] as? String, "inactive", "\(r["name"] ?? "?") on a healthy service")
        }

        // Every dashboard expression is valid PromQL to this Prometheus.
        let exprs = try Self.dashboardExpressions()
        XCTAssertGreaterThanOrEqual(exprs.count, 10)
        for e in exprs {
            let r = try prom.query(e.replacingOccurrences(of: "$instance", with: ".*"))
            XCTAssertEqual(r?["status"] as? String, "success", "\(e): \(r ?? [:])")
        }
        prom.stop()
        XCTAssertEqual(p.terminate(), 0)
    }
}

final class PrometheusEndToEndTestsOnPostgreSQL: PrometheusEndToEndTests {
    override class var store: StoreKind { .postgresql }
    override func testAlertsAndDashboardNameOnlyServedMetricsAndARealPrometheusScrapesThem() throws {
        try super.testAlertsAndDashboardNameOnlyServedMetricsAndARealPrometheusScrapesThem()
    }
}
