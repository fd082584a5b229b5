import Foundation
import RelayCrypto

/// Checks `Authorization: Basic …` against the active credentials (several at once, for rotation).
/// Passwords are compared as SHA-256 digests in constant time, and every credential is checked so
/// the time taken does not tell which username exists.
public struct BasicAuthenticator: Sendable {
    private let credentials: [(username: [UInt8], digest: [UInt8])]

    public init(credentials: [StoredCredential]) {
        self.credentials = credentials.map { (Crypto.sha256(Array($0.username.utf8)), $0.passwordDigest) }
    }

    public var isEmpty: Bool { credentials.isEmpty }

    /// The username when the header carries valid credentials, nil otherwise.
    public func authenticate(authorizationHeader header: String?) -> String? {
        guard let (user, password) = Self.decode(header) else { return nil }
        let userDigest = Crypto.sha256(Array(user.utf8))
        let passDigest = Crypto.sha256(Array(password.utf8))
        var match = false
        for c in credentials {
            let u = Crypto.constantTimeEquals(c.username, userDigest)
            let p = Crypto.constantTimeEquals(c.digest, passDigest)
            match = match || (u && p)
        }
        return match ? user : nil
    }

    /// Splits a Basic credential into user and password (RFC 7617; the scheme is case-insensitive).
    static func decode(_ header: String?) -> (String, String)? {
        guard let header, header.utf8.count <= 1024 else { return nil }
        let bytes = Array(header.utf8)
        guard bytes.count > 6 else { return nil }
        let scheme = String(decoding: bytes[0..<5], as: UTF8.self).lowercased()
        guard scheme == "basic", bytes[5] == UInt8(ascii: " ") else { return nil }
        var token = String(decoding: bytes[6...], as: UTF8.self)
        while token.hasPrefix(" ") { token.removeFirst() }
        while token.hasSuffix(" ") { token.removeLast() }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8),
              let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
