import Foundation
import SIMASID

/// `Tests/Support/jwt/fake_idp.py` on a free loopback port: JWKS and userinfo, with control
/// endpoints to count fetches, rotate keys, slow down or fail, and stop.
final class FakeIdP {
    let port: Int
    private let process: Process
    private let control = LoopbackTransport()

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var jwksURI: String { baseURL + "/v1/oidc/certs" }
    var userinfoURL: String { baseURL + "/v1/oidc/userinfo" }

    init(fixtures: TokenFixtures = .shared) throws {
        let dir = try fixtures.copyJWKS()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [TokenFixtures.supportDirectory.appendingPathComponent("fake_idp.py").path, "--dir", dir.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // The first line is "PORT <n>"; read byte by byte so nothing past it is consumed.
        var line = [UInt8]()
        let handle = out.fileHandleForReading
        while line.count < 64, let byte = try handle.read(upToCount: 1)?.first, byte != 10 { line.append(byte) }
        guard let p = Int(String(decoding: line, as: UTF8.self).dropFirst("PORT ".count)) else {
            process.terminate()
            throw Python.Failed(description: "fake_idp.py did not report a port")
        }
        port = p
    }

    deinit { stop() }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    @discardableResult
    func command(_ path: String) throws -> [String: Any] {
        let r = try control.get(baseURL + path, headers: [])
        return (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any] ?? [:]
    }

    /// JWKS requests served so far.
    func certsFetches() throws -> Int { try command("/_control/count")["certs"] as? Int ?? -1 }
    func userinfoCalls() throws -> Int { try command("/_control/count")["userinfo"] as? Int ?? -1 }
    func serve(_ jwks: String) throws { try command("/_control/use?jwks=\(jwks)") }
    func setDelay(millis: Int) throws { try command("/_control/delay?ms=\(millis)") }
    func setCertsStatus(_ code: Int) throws { try command("/_control/status?code=\(code)") }
    func setCacheControl(_ value: String) throws {
        try command("/_control/cache?value=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
    }
}
