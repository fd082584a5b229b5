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
        let userDigest = user.withUnsafeBytes { Crypto.sha256(bytes: $0) }
        let passDigest = password.withUnsafeBytes { Crypto.sha256(bytes: $0) }
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
    /// On the header's bytes: this runs for every webhook request.
    static func decode(_ header: String?) -> (user: ArraySlice<UInt8>, password: ArraySlice<UInt8>)? {
        guard var header else { return nil }
        return header.withUTF8 { bytes in
            guard bytes.count > 6, bytes.count <= 1024 else { return nil }
            for (i, expected) in "basic ".utf8.enumerated() where bytes[i] | (i < 5 ? 0x20 : 0) != expected {
                return nil
            }
            var start = 6, end = bytes.count
            while start < end, bytes[start] == UInt8(ascii: " ") { start += 1 }
            while end > start, bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
            guard let text = Base64.decode(bytes: UnsafeBufferPointer(rebasing: bytes[start..<end])),
                  text.allSatisfy({ $0 < 0x80 }) || String(validating: text, as: UTF8.self) != nil,
                  let colon = text.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            return (text[..<colon], text[(colon + 1)...])
        }
    }
}
