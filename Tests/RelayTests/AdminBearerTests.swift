import Foundation
import RelayTestSupport
import SIMASID
import XCTest

@testable import Relay

/// The admin API accepts SIMAS-ID access tokens (minted by PyJWT, keys served over loopback),
/// and only for holders the policy allows.
final class AdminBearerTests: XCTestCase {
    static var support: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/Support/jwt"
    }

    func testBearerTokensGuardTheAdminAPI() throws {
        let dir = TempDirectory()
        let issuer = "https://idp.test/realms/simas-id"
        let now = Int(Date().timeIntervalSince1970)
        let (st, _, err) = try runCommand(
            "/usr/bin/python3",
            [
                Self.support + "/mint.py", dir.path, "--now", String(now),
                "--issuer", issuer, "--client", "nanovest",
            ])
        XCTAssertEqual(st, 0, err)
        let tokens = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("tokens.json")))) as? [String: String])
        let idp = Process()
        idp.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        idp.arguments = [Self.support + "/fake_idp.py", "--dir", dir.path]
        let out = Pipe()
        idp.standardOutput = out
        try idp.run()
        defer { idp.terminate(); idp.waitUntilExit() }
        let line = String(decoding: out.fileHandleForReading.availableDataBlocking(), as: UTF8.self)
        let port = try XCTUnwrap(Int(line.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))

        func service(_ roles: Set<TokenAuthorizationPolicy.Role>) throws -> TestService {
            try TestService {
                $0.deliveryEnabled = false
                $0.simasID = SIMASIDSettings(
                    verifier: TokenVerifierConfiguration(
                        issuer: issuer, clientID: "nanovest", jwksURI: "http://127.0.0.1:\(port)/v1/oidc/certs"),
                    policy: TokenAuthorizationPolicy(anyOfRoles: roles))
            }
        }
        func get(_ s: TestService, _ auth: String) throws -> WireResponse {
            let c = try RawConnection(port: s.service.adminPort)
            try c.send("GET /v1/stats HTTP/1.1\r\nHost: x\r\nAuthorization: \(auth)\r\n\r\n")
            return try XCTUnwrap(c.readResponse())
        }
        let s = try service([.realm("otp-admin")])
        XCTAssertEqual(try get(s, "Bearer " + tokens["valid"]!).status, 200)
        for bad in ["tampered_payload", "alg_none", "hs256_public_key", "expired", "wrong_iss", "weak_key"] {
            XCTAssertEqual(try get(s, "Bearer " + tokens[bad]!).status, 401, bad)
        }
        let other = try service([.realm("somebody-else")])
        let forbidden = try get(other, "Bearer " + tokens["valid"]!)
        XCTAssertEqual(forbidden.status, 403)
        XCTAssertEqual(forbidden.json?["error"] as? String, "forbidden")
        XCTAssertFalse(s.logLines.all.contains(tokens["valid"]!), "tokens never logged")
    }
}

extension FileHandle {
    /// Waits for the first chunk a child process writes.
    func availableDataBlocking() -> Data { availableData }
}
