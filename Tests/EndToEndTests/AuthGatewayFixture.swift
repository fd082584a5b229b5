import Foundation
import RelayTestSupport
import XCTest

/// What the token gateway's end-to-end tests share: tokens minted by PyJWT (Tests/Support/jwt/mint.py),
/// the fake SIMAS-ID serving the JWKS and userinfo on loopback (fake_idp.py), and the real
/// `otp-relay` binary with its auth listener on.
final class AuthGatewayFixture {
    static let issuer = "https://idp.test/realms/simas-id"
    static let support = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/Support"

    let dir = TempDirectory()
    let tokens: [String: String]
    let idp = Process()
    let idpPort: Int
    private(set) var relay: ServiceProcess?

    init() throws {
        let (st, _, err) = try runCommand(
            "/usr/bin/python3",
            [
                Self.support + "/jwt/mint.py", dir.path, "--now", String(Int(Date().timeIntervalSince1970)), "--issuer", Self.issuer,
                "--client", "nanovest",
            ])
        guard st == 0 else { throw ServiceProcessError.exited(st, err) }
        tokens =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("tokens.json")))) as! [String: String]
        idp.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        idp.arguments = [Self.support + "/jwt/fake_idp.py", "--dir", dir.path]
        let out = Pipe()
        idp.standardOutput = out
        try idp.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        guard let p = Int(line.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") else {
            idp.terminate()
            throw ServiceProcessError.timeout("fake_idp.py printed no port: \(line)")
        }
        idpPort = p
    }

    deinit {
        relay?.terminate()
        if idp.isRunning { idp.terminate() }
        idp.waitUntilExit()
    }

    subscript(_ name: String) -> String { tokens[name]! }

    /// Starts otp-relay with `simas_id` pointing at the fake IdP, `extra` merged into the config.
    func startRelay(
        simasID extraSIMAS: [String: Any] = [:], config extra: [String: Any] = [:], env: [String: String] = [:]
    ) throws
        -> ServiceProcess
    {
        var simas: [String: Any] = [
            "issuer": Self.issuer, "client_id": "nanovest", "jwks_uri": "http://127.0.0.1:\(idpPort)/v1/oidc/certs",
            "userinfo_url": "http://127.0.0.1:\(idpPort)/v1/oidc/userinfo", "admin_subjects": ["nobody"],
        ]
        simas.merge(extraSIMAS) { $1 }
        var config: [String: Any] = ["simas_id": simas, "auth_listen": "127.0.0.1:0"]
        config.merge(extra) { $1 }
        let path = dir.file("config.json")
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
        var environment = CrashRecoveryTests.environment(dir)
        environment["OTP_RELAY_CONFIG"] = path
        environment.merge(env) { $1 }
        let p = try ServiceProcess(environment: environment, directory: dir.path)
        try p.waitUntilListening()
        relay = p
        return p
    }

    /// The fake IdP's request counters: `certs`, `userinfo`.
    func idpCount(_ what: String) throws -> Int {
        try idpControl("/_control/count")[what] as? Int ?? -1
    }

    @discardableResult
    func idpControl(_ pathAndQuery: String) throws -> [String: Any] {
        let c = try RawConnection(port: idpPort)
        try c.send("GET \(pathAndQuery) HTTP/1.1\r\nHost: idp\r\nConnection: close\r\n\r\n")
        return try XCTUnwrap(c.readResponse()?.json)
    }

    /// Waits until the fake IdP has served `n` JWKS documents.
    func waitForCerts(atLeast n: Int, timeoutSeconds: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while try idpCount("certs") < n && Date() < deadline { usleep(20_000) }
    }
}

/// One request on a fresh connection.
func oneRequest(
    port: Int, method: String = "GET", _ target: String, headers: [(String, String)] = [], body: String = ""
) throws
    -> WireResponse
{
    let c = try RawConnection(port: port)
    var text = "\(method) \(target) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
    for (k, v) in headers { text += "\(k): \(v)\r\n" }
    if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.utf8.count)\r\n" }
    text += "\r\n" + body
    try c.send(text)
    return try XCTUnwrap(c.readResponse())
}
