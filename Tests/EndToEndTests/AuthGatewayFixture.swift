import Foundation
import RelayTestSupport
import XCTest

/// What the token gateway's end-to-end tests share: the fake SIMAS-ID with PyJWT-minted tokens,
/// and the real `otp-relay` binary with its auth listener on.
final class AuthGatewayFixture {
    static let support = FakeSIMASID.support

    let dir = TempDirectory()
    let idp: FakeSIMASID
    private(set) var relay: ServiceProcess?

    init() throws {
        idp = try FakeSIMASID(directory: dir.file("idp"))
    }

    deinit { relay?.terminate() }

    subscript(_ name: String) -> String { idp[name] }

    /// Starts otp-relay with `simas_id` pointing at the fake IdP, `extra` merged into the config.
    func startRelay(simasID extraSIMAS: [String: Any] = [:], config extra: [String: Any] = [:]) throws -> ServiceProcess {
        var simas: [String: Any] = [
            "issuer": FakeSIMASID.issuer, "client_id": "nanovest", "jwks_uri": idp.jwksURI,
            "userinfo_url": idp.userinfoURL, "admin_subjects": ["nobody"],
        ]
        simas.merge(extraSIMAS) { $1 }
        var config: [String: Any] = ["simas_id": simas, "auth_listen": "127.0.0.1:0"]
        config.merge(extra) { $1 }
        let path = dir.file("config.json")
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
        var environment = CrashRecoveryTests.environment(dir)
        environment["OTP_RELAY_CONFIG"] = path
        let p = try ServiceProcess(environment: environment, directory: dir.path)
        try p.waitUntilListening()
        relay = p
        return p
    }
}
