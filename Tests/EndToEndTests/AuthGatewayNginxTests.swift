import Foundation
import RelayTestSupport
import XCTest

/// A real nginx (`auth_request`) in front of a loopback upstream, the real otp-relay answering its
/// subrequests on the auth listener, tokens minted by PyJWT and keys served by the fake SIMAS-ID.
final class AuthGatewayNginxTests: XCTestCase {
    func testNginxAuthRequestThroughTheGateway() throws {
        guard NginxProcess.isInstalled else {
            throw XCTSkip("nginx is not installed (scripts/install-deps --test installs nginx-light)")
        }
        let f = try AuthGatewayFixture()
        let relay = try f.startRelay(
            simasID: ["jwks_refresh_cooldown_seconds": 2],
            config: [
                "auth_gateway": ["routes": [["prefix": "/admin/", "required_roles": ["realm:bu-admin"]]]],
                "log_level": "debug",
            ])
        XCTAssertGreaterThan(relay.authPort, 0)
        try f.idp.waitForCerts(atLeast: 1)

        let upstream = try EchoUpstream()
        let front = try freeLoopbackPort()
        let nginx = try NginxProcess(
            directory: f.dir.file("nginx"),
            httpBlock: """
                upstream otp_relay_auth { server 127.0.0.1:\(relay.authPort); keepalive 8; }
                server {
                    listen 127.0.0.1:\(front);
                    location = /_auth {
                        internal;
                        proxy_pass http://otp_relay_auth/v1/auth/verify;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_pass_request_body off;
                        proxy_set_header Content-Length "";
                        proxy_set_header X-Original-URI $request_uri;
                    }
                    location / {
                        auth_request /_auth;
                        auth_request_set $auth_subject $upstream_http_x_auth_subject;
                        auth_request_set $auth_username $upstream_http_x_auth_username;
                        auth_request_set $auth_roles $upstream_http_x_auth_roles;
                        proxy_set_header X-Auth-Subject $auth_subject;
                        proxy_set_header X-Auth-Username $auth_username;
                        proxy_set_header X-Auth-Roles $auth_roles;
                        proxy_set_header X-Seen-URI $request_uri;
                        rewrite ^ /echo break;
                        proxy_pass http://127.0.0.1:\(upstream.port);
                    }
                }
                """)
        defer { nginx.stop() }
        try nginx.waitUntilListening(port: front)

        func get(_ path: String, _ token: String?, extra: [(String, String)] = []) throws -> WireResponse {
            try oneRequest(port: front, path, headers: (token.map { [("Authorization", "Bearer " + $0)] } ?? []) + extra)
        }
        func seen(_ r: WireResponse) -> [String: String] {
            var h: [String: String] = [:]
            for pair in (r.json?["headers"] as? [[String]]) ?? [] where pair.count == 2 { h[pair[0].lowercased()] = pair[1] }
            return h
        }

        // A valid token reaches the upstream with the subject and username; a forged header does not survive.
        let ok = try get("/orders?id=7", f["valid"], extra: [("X-Auth-Subject", "forged")])
        XCTAssertEqual(ok.status, 200, ok.text + nginx.errorLog)
        XCTAssertEqual(seen(ok)["x-auth-subject"], "f3b1c2d4-0000-4000-8000-000000000001")
        XCTAssertEqual(seen(ok)["x-auth-username"], "6285610573956")
        XCTAssertEqual(seen(ok)["x-seen-uri"], "/orders?id=7")
        XCTAssertTrue(seen(ok)["x-auth-roles"]?.contains("realm:otp-admin") == true)

        // Each rejection: 401 with the RFC 6750 challenge naming the check, the upstream untouched.
        let cases: [(String, String)] = [
            ("expired", "expired"), ("nbf_future", "nbf"), ("wrong_iss", "iss"), ("aud_array_other", "aud"),
            ("azp_other", "azp"), ("unknown_kid", "unknown_kid"), ("unknown_key", "signature_invalid"),
            ("alg_none", "algorithm_not_allowed"), ("hs256_public_key", "algorithm_not_allowed"),
            ("tampered_signature", "signature_invalid"),
        ]
        var rejections = cases.map { (f[$0.0], $0.0, $0.1) }
        rejections.append(("garbage", "garbage", "malformed_token"))
        rejections.append(("Zm9v.YmFy.YmF6", "garbage segments", "malformed_header"))
        for (token, name, check) in rejections {
            let r = try get("/orders", token)
            XCTAssertEqual(r.status, 401, name)
            let challenge = r.header("WWW-Authenticate") ?? ""
            XCTAssertTrue(
                challenge.hasPrefix("Bearer realm=\"simas-id\", error=\"invalid_token\", error_description=\"\(check): "),
                "\(name): \(challenge)")
            XCTAssertFalse(challenge.contains(token), name)
            XCTAssertNil(r.json?["headers"], "\(name) reached the upstream")
        }
        let none = try get("/orders", nil)
        XCTAssertEqual(none.status, 401)
        XCTAssertEqual(none.header("WWW-Authenticate"), "Bearer realm=\"simas-id\"")

        // required_roles per X-Original-URI prefix, judged on the path nginx routes (dot segments, escapes).
        XCTAssertEqual(try get("/admin/users", f["valid"]).status, 403)
        XCTAssertEqual(try get("/public/../admin/users", f["valid"]).status, 403)
        XCTAssertEqual(try get("/%61dmin/users", f["valid"]).status, 403)
        XCTAssertEqual(try get("/admin/users", f["bu_admin"]).status, 200)
        // A claim with CR LF never becomes a header of its own.
        let crlf = try get("/orders", f["crlf_username"])
        XCTAssertEqual(crlf.status, 200)
        XCTAssertNil(seen(crlf)["x-injected"])
        XCTAssertEqual(seen(crlf)["x-auth-username"] ?? "", "")

        // A kid-rotation storm: 50 tokens with made-up kids within one cooldown cost at most one fetch.
        Thread.sleep(forTimeInterval: 2.2)
        let certsBefore = try f.idp.count("certs")
        let statuses = StatusTally()
        let storm = (0..<50).map { f["storm_\($0)"] }
        DispatchQueue.concurrentPerform(iterations: 50) { i in
            let r = try? oneRequest(port: front, "/orders", headers: [("Authorization", "Bearer " + storm[i])])
            statuses.add(r?.status ?? -1)
        }
        XCTAssertEqual(statuses.counts, [401: 50])
        XCTAssertLessThanOrEqual(try f.idp.count("certs") - certsBefore, 1, "at most one JWKS fetch per cooldown")
        // The issuer rotates to key-b: after the cooldown, its first token fetches the new set once.
        try f.idp.control("/_control/use?jwks=jwks-rotated.json")
        Thread.sleep(forTimeInterval: 2.2)
        let certsRotation = try f.idp.count("certs")
        XCTAssertEqual(try get("/orders", f["rotated"]).status, 200)
        XCTAssertEqual(try get("/orders", f["rotated"]).status, 200)
        XCTAssertEqual(try f.idp.count("certs") - certsRotation, 1)

        // Metrics on the admin listener: by result and reason, and the latency histogram.
        let admin = "Basic " + Data("admin:\(CrashRecoveryTests.password)".utf8).base64EncodedString()
        let metrics = try oneRequest(port: relay.adminPort, "/metrics", headers: [("Authorization", admin)]).text
        XCTAssertTrue(
            metrics.contains(#"otp_relay_auth_verifications_total{endpoint="verify",result="denied",reason="expired"} 1"#), metrics)
        XCTAssertTrue(
            metrics.contains(#"otp_relay_auth_verifications_total{endpoint="verify",result="forbidden",reason="insufficient_role"} 3"#))
        XCTAssertTrue(metrics.contains(#"otp_relay_auth_verification_seconds_bucket{le="+Inf"}"#))
        // The valid token came back 3 times, rotated once: answered from the verified-token
        // cache; key-b was added, not key-a retired, so nothing was flushed.
        let hits = metrics.split(separator: "\n").first { $0.hasPrefix(#"otp_relay_auth_token_cache_lookups_total{result="hit"} "#) }
        XCTAssertGreaterThanOrEqual(Int(hits?.split(separator: " ").last ?? "") ?? 0, 4, metrics)
        XCTAssertTrue(metrics.contains("otp_relay_auth_token_cache_flushes_total 0"), metrics)

        nginx.stop()
        XCTAssertEqual(relay.terminate(), 0)
        let logs = relay.stderr + relay.stdout
        for name in ["valid", "bu_admin", "expired", "rotated", "storm_0"] {
            let signature = String(f[name].split(separator: ".").last ?? "")
            XCTAssertFalse(logs.contains(signature), "a log line holds the \(name) token")
        }
    }
}

/// fake_http.py as the protected upstream: `/echo` answers the request's headers as JSON.
final class EchoUpstream {
    let process = Process()
    let stdin = Pipe()
    let port: Int

    init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [AuthGatewayFixture.support + "/fake_http.py"]
        let out = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        try process.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        port = Int(line.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
    }

    deinit {
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

final class StatusTally: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var counts: [Int: Int] = [:]
    func add(_ s: Int) { lock.withLock { counts[s, default: 0] += 1 } }
}
