import Foundation
import HTTPServer
import RelayCore
import RelayTestSupport
import SIMASID
import XCTest

@testable import Relay

/// The gateway's pieces on their own: configuration, the original-URI normalization the role
/// policy relies on, bearer extraction, and the headers a valid token is answered with.
final class AuthGatewayUnitTests: XCTestCase {
    static let simas =
        #""simas_id": {"issuer": "https://idp.test/realms/simas-id", "client_id": "nanovest", "#
        + #""jwks_uri": "https://idp.test/certs", "admin_subjects": ["a"]}"#

    func load(_ json: String, env: [String: String] = [:]) throws -> Configuration {
        let dir = TempDirectory()
        let path = dir.file("c.json")
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return try Configuration.load(path: path, environment: env)
    }

    func configError(_ json: String, env: [String: String] = [:]) -> String? {
        do {
            _ = try load(json, env: env)
            return nil
        } catch let e as ConfigError {
            return e.key
        } catch {
            return "\(error)"
        }
    }

    func testConfiguration() throws {
        XCTAssertNil(try load("{\(Self.simas)}").authGateway.listen, "off by default")
        let c = try load(
            """
            {\(Self.simas), "auth_listen": "127.0.0.1:9191",
             "auth_gateway": {"required_roles": ["realm:bu-user"],
                              "routes": [{"prefix": "/admin/", "required_roles": ["client:nanovest:admin"]}],
                              "introspection_credentials": [{"username": "orders", "password": "p"}],
                              "userinfo_cache_ttl_seconds": 30, "kyc_per_subject_max": 3}}
            """)
        XCTAssertEqual(c.authGateway.listen, ListenAddress(host: "127.0.0.1", port: 9191))
        XCTAssertEqual(c.authGateway.requiredRoles, [.realm("bu-user")])
        XCTAssertEqual(c.authGateway.roles(forPath: "/admin/x"), [.client(client: "nanovest", role: "admin")])
        XCTAssertEqual(c.authGateway.roles(forPath: "/orders"), [.realm("bu-user")])
        XCTAssertEqual(c.authGateway.introspectionCredentials.map(\.username), ["orders"])
        XCTAssertEqual(c.authGateway.userinfoCacheTTL, .seconds(30))
        XCTAssertEqual(c.authGateway.kycPerSubjectMax, 3)
        XCTAssertEqual(c.simasID?.verifyMode, .local)

        let e = try load("{\(Self.simas)}", env: ["OTP_RELAY_AUTH_LISTEN": ":9292"])
        XCTAssertEqual(e.authGateway.listen, ListenAddress(host: "127.0.0.1", port: 9292), "loopback by default")
        XCTAssertEqual(try load("{\(Self.simas)}", env: ["OTP_RELAY_AUTH_LISTEN": "[::1]:9393"]).authGateway.listen?.host, "::1")

        let u = try load(
            #"{"simas_id": {"issuer": "https://i/realms/simas-id", "client_id": "nanovest", "environment": "staging", "#
                + #""admin_subjects": ["a"], "verify_mode": "userinfo", "jwks_refresh_cooldown_seconds": 5}}"#
        )
        XCTAssertEqual(u.simasID?.verifyMode, .userinfo)
        XCTAssertEqual(u.simasID?.userinfoURL, "https://api-stg.simas-id.com/v1/oidc/userinfo")
        XCTAssertEqual(u.simasID?.verifier.jwks.refreshCooldownSeconds, 5)

        XCTAssertEqual(configError(#"{"auth_listen": "127.0.0.1:9191"}"#), "auth_listen")
        XCTAssertEqual(configError("{}", env: ["OTP_RELAY_AUTH_LISTEN": "9191"]), "auth_listen")
        XCTAssertEqual(configError(#"{"auth_listen": "somewhere"}"#), "auth_listen")
        XCTAssertEqual(configError("{\(Self.simas), \"auth_gateway\": {\"nope\": 1}}"), "auth_gateway.nope")
        XCTAssertEqual(
            configError("{\(Self.simas), \"auth_gateway\": {\"required_roles\": [\"admin\"]}}"), "auth_gateway.required_roles[0]")
        XCTAssertEqual(
            configError("{\(Self.simas), \"auth_gateway\": {\"routes\": [{\"prefix\": \"admin\"}]}}"), "auth_gateway.routes[0].prefix")
        XCTAssertEqual(
            configError(
                #"{"simas_id": {"issuer": "https://i/r", "client_id": "n", "jwks_uri": "https://i/c", "#
                    + #""admin_subjects": ["a"], "verify_mode": "remote"}}"#
            ),
            "simas_id.verify_mode")
        XCTAssertEqual(
            configError(
                #"{"simas_id": {"issuer": "https://i/r", "client_id": "n", "jwks_uri": "https://i/c", "#
                    + #""admin_subjects": ["a"], "verify_mode": "userinfo"}}"#
            ),
            "simas_id.userinfo_url")
    }

    func testOriginalURINormalization() {
        let cases: [(String, String?)] = [
            ("/orders?id=1", "/orders"), ("/admin/users", "/admin/users"), ("/public/../admin/x", "/admin/x"),
            ("/%61dmin/x", "/admin/x"), ("//admin//x", "/admin/x"), ("/./admin/./x/", "/admin/x/"), ("/a/..", "/"),
            ("/admin/x#frag", "/admin/x"), ("http://host:8080/admin/x?q", "/admin/x"), ("/", "/"),
            ("/..", nil), ("/a/../../admin", nil), ("/bad%zz", nil), ("/nul%00", nil), ("admin", nil), ("", nil),
            ("/a/%2e%2e/admin", "/admin"),
        ]
        for (raw, want) in cases {
            XCTAssertEqual(OriginalURI.normalizedPath(raw), want, raw)
        }
    }

    func testBearerExtraction() {
        func ex(_ values: [String]) -> BearerToken.Extracted {
            BearerToken.extract(HTTPHeaders(values.map { (name: "Authorization", value: $0) }))
        }
        XCTAssertEqual(ex([]), .missing)
        XCTAssertEqual(ex(["Bearer abc.def.ghi"]), .token("abc.def.ghi"))
        XCTAssertEqual(ex(["bearer   abc  "]), .token("abc"))
        XCTAssertEqual(ex(["Basic dXNlcjpwYXNz"]), .malformed("the scheme is not Bearer"))
        XCTAssertEqual(ex(["BEARER abc"]), .token("abc"))
        for other in ["Bearer\tabc", "Bearer", "Bearer ", "BearerXabc", "Bearer\u{0}abc", "Bébrer abc", "Bea\u{2}er abc"] {
            XCTAssertEqual(ex([other]), .malformed("the scheme is not Bearer"), other)
        }
        XCTAssertEqual(ex(["Bearer        "]), .malformed("the bearer token is empty"))
        XCTAssertEqual(ex(["Bearer ab\u{E9}"]), .malformed("the bearer token has characters a token cannot have"))
        XCTAssertEqual(ex(["Bearer a", "Bearer b"]), .malformed("more than one Authorization header"))
        XCTAssertEqual(ex(["Bearer a\"b"]), .malformed("the bearer token has characters a token cannot have"))
        XCTAssertEqual(ex(["Bearer " + String(repeating: "a", count: 9000)]), .malformed("the bearer token is too large"))
    }

    func testHeadersNeverCarryControlCharacters() {
        let i = GatewayIdentity(
            subject: "sub-1", username: "628123\r\nX-Injected: yes", client: "nanovest", expiresAt: 1_900_000_000, issuedAt: nil,
            issuer: "i", audience: ["nanovest"], roles: ["realm:a", "client:nanovest:b"])
        let h = Dictionary(uniqueKeysWithValues: i.headers)
        XCTAssertEqual(h["X-Auth-Subject"], "sub-1")
        XCTAssertNil(h["X-Auth-Username"])
        XCTAssertEqual(h["X-Auth-Expires"], "1900000000")
        XCTAssertEqual(h["X-Auth-Roles"], "realm:a,client:nanovest:b")
        XCTAssertEqual(GatewayIdentity.roles(realm: ["ok", "with,comma", "sp ace"], resourceAccess: nil), ["realm:ok"])
        // Every description is fixed text a quoted-string can carry.
        let checks: [TokenError.Check] = [
            .expired, .issuer, .audience, .authorizedParty, .unknownKeyID, .signatureInvalid, .algorithmNotAllowed,
        ]
        for c in checks {
            let d = GatewayResponses.description(c)
            XCTAssertTrue(d.hasPrefix(c.rawValue + ": "))
            XCTAssertFalse(d.contains("\"") || d.contains("\\"))
        }
    }
    /// A full userinfo cache makes room an eighth at a time: expired answers first, then arbitrary
    /// ones, so the cache stays bounded and the scan does not run for every new answer.
    func testUserinfoCacheEvictsExpiredThenAnEighth() {
        let identity = GatewayIdentity(
            subject: "s", username: nil, client: nil, expiresAt: nil, issuedAt: nil, issuer: "i", audience: [], roles: [])
        func cache(live: Int, expired: Int) -> [[UInt8]: UserinfoTokenGate.Entry] {
            var c: [[UInt8]: UserinfoTokenGate.Entry] = [:]
            for n in 0..<(live + expired) {
                c[[UInt8(n >> 8), UInt8(n & 0xFF)]] = .init(identity: identity, until: n < live ? 2_000 : 500)
            }
            return c
        }
        var full = cache(live: 1_000, expired: 0)
        UserinfoTokenGate.evict(&full, now: 1_000, maxEntries: 1_000)
        XCTAssertEqual(full.count, 875, "an eighth made room")
        var mixed = cache(live: 600, expired: 400)
        UserinfoTokenGate.evict(&mixed, now: 1_000, maxEntries: 1_000)
        XCTAssertEqual(mixed.count, 600, "the expired ones, and nothing live")
        XCTAssertTrue(mixed.values.allSatisfy { $0.until == 2_000 })
        var tiny = cache(live: 3, expired: 0)
        UserinfoTokenGate.evict(&tiny, now: 1_000, maxEntries: 3)
        XCTAssertEqual(tiny.count, 2, "room for one at least")
    }
}
