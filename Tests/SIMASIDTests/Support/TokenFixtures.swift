import Foundation

/// Tokens and JWKS documents minted once per test run by `Tests/Support/jwt/mint.py` (PyJWT and
/// cryptography: an implementation independent of the one under test).
final class TokenFixtures: Sendable {
    static let nowSeconds: Int64 = 1_800_000_000
    static let issuer = "https://sso.test.example/realms/simas-id"
    static let clientID = "nanovest"

    static let supportDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Support/jwt")

    static let shared: TokenFixtures = {
        do {
            let fixtures = try TokenFixtures()
            atexit { try? FileManager.default.removeItem(at: TokenFixtures.shared.directory) }
            return fixtures
        } catch {
            fatalError("minting test tokens failed: \(error)")
        }
    }()

    let directory: URL
    let tokens: [String: String]

    private init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "simasid-jwt-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Python.run(["mint.py", directory.path, "--now", String(Self.nowSeconds), "--issuer", Self.issuer, "--client", Self.clientID])
        let data = try Data(contentsOf: directory.appendingPathComponent("tokens.json"))
        tokens = try JSONSerialization.jsonObject(with: data) as! [String: String]
    }

    subscript(name: String) -> String {
        guard let t = tokens[name] else { fatalError("no minted token named \(name)") }
        return t
    }

    /// A fresh copy of the JWKS documents, so each fake IdP can be rotated independently.
    func copyJWKS() throws -> URL {
        let dir = directory.appendingPathComponent("idp-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in ["jwks.json", "jwks-initial.json", "jwks-rotated.json", "jwks-retired.json"] {
            try FileManager.default.copyItem(at: directory.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        return dir
    }
}

enum Python {
    struct Failed: Error, CustomStringConvertible { let description: String }

    static func run(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = [TokenFixtures.supportDirectory.appendingPathComponent(arguments[0]).path] + arguments.dropFirst()
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw Failed(description: "\(arguments[0]) exited \(p.terminationStatus)") }
    }
}
