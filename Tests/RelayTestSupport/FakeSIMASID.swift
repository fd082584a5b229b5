import Foundation

/// Tokens minted by PyJWT (`Tests/Support/jwt/mint.py`) and the fake SIMAS-ID that serves their
/// JWKS and a userinfo endpoint on loopback (`Tests/Support/jwt/fake_idp.py`), stopped with this
/// object.
public final class FakeSIMASID {
    public static let issuer = "https://idp.test/realms/simas-id"
    public static let support =
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/Support"

    public let directory: String
    public let tokens: [String: String]
    public let port: Int
    private let process = Process()

    public var jwksURI: String { "http://127.0.0.1:\(port)/v1/oidc/certs" }
    public var userinfoURL: String { "http://127.0.0.1:\(port)/v1/oidc/userinfo" }

    /// Mints into `directory` (tokens valid from now) and starts the fake IdP serving it.
    public init(directory: String, client: String = "nanovest") throws {
        self.directory = directory
        let now = String(Int(Date().timeIntervalSince1970))
        let (st, _, err) = try runCommand(
            "/usr/bin/python3", [Self.support + "/jwt/mint.py", directory, "--now", now, "--issuer", Self.issuer, "--client", client])
        guard st == 0 else { throw ServiceProcessError.exited(st, err) }
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/tokens.json"))
        tokens = (try JSONSerialization.jsonObject(with: data) as? [String: String]) ?? [:]
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.support + "/jwt/fake_idp.py", "--dir", directory]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        guard let p = Int(line.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") else {
            process.terminate()
            throw ServiceProcessError.timeout("fake_idp.py printed no port: \(line)")
        }
        port = p
    }

    deinit {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    public subscript(_ name: String) -> String { tokens[name] ?? "missing-token-\(name)" }

    /// The fake's request counters: `certs`, `userinfo`.
    public func count(_ what: String) throws -> Int {
        try control("/_control/count")[what] as? Int ?? -1
    }

    /// A control call (`/_control/use?jwks=…`, `/_control/status?code=…`).
    @discardableResult
    public func control(_ pathAndQuery: String) throws -> [String: Any] {
        let c = try RawConnection(port: port)
        try c.send("GET \(pathAndQuery) HTTP/1.1\r\nHost: idp\r\nConnection: close\r\n\r\n")
        return try c.readResponse()?.json ?? [:]
    }

    /// Waits until the fake has served `n` JWKS documents.
    public func waitForCerts(atLeast n: Int, timeoutSeconds: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while try count("certs") < n && Date() < deadline { usleep(20_000) }
    }
}

/// One request on a fresh connection (`Connection: close`).
public func oneRequest(
    port: Int, method: String = "GET", _ target: String, headers: [(String, String)] = [], body: String = ""
) throws -> WireResponse {
    let c = try RawConnection(port: port)
    var text = "\(method) \(target) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
    for (k, v) in headers { text += "\(k): \(v)\r\n" }
    if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.utf8.count)\r\n" }
    text += "\r\n" + body
    try c.send(text)
    guard let r = try c.readResponse() else { throw POSIXError(.ECONNRESET) }
    return r
}
