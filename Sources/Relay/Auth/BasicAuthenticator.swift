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
        let userDigest = Crypto.sha256(user)
        let passDigest = Crypto.sha256(password)
        var match = false
        for c in credentials {
            let u = Crypto.constantTimeEquals(c.username, userDigest)
            let p = Crypto.constantTimeEquals(c.digest, passDigest)
            match = match || (u && p)
        }
        return match ? String(decoding: user, as: UTF8.self) : nil
    }

    /// Splits a Basic credential into user and password bytes (RFC 7617; the scheme is
    /// case-insensitive, spaces around the token are ignored, the decoded text must be UTF-8).
    /// On bytes: this runs for every webhook request.
    static func decode(_ header: String?) -> (user: ArraySlice<UInt8>, password: ArraySlice<UInt8>)? {
        guard let header else { return nil }
        let bytes = header.utf8
        guard bytes.count > 6, bytes.count <= 1024 else { return nil }
        var i = bytes.startIndex
        for expected in "basic".utf8 {
            guard bytes[i] | 0x20 == expected else { return nil }
            i = bytes.index(after: i)
        }
        guard bytes[i] == UInt8(ascii: " ") else { return nil }
        var start = bytes.index(after: i), end = bytes.endIndex
        while start < end, bytes[start] == UInt8(ascii: " ") { start = bytes.index(after: start) }
        while end > start, bytes[bytes.index(before: end)] == UInt8(ascii: " ") { end = bytes.index(before: end) }
        let token = bytes[start..<end]
        let decoded = token.withContiguousStorageIfAvailable { Base64.decode(bytes: $0) } ?? Base64.decode(String(Substring(token)))
        guard let text = decoded, text.allSatisfy({ $0 < 0x80 }) || String(validating: text, as: UTF8.self) != nil,
              let colon = text.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return (text[..<colon], text[(colon + 1)...])
    }
}
