import Foundation
import RelayCrypto
import Synchronization

/// Checks `Authorization: Basic …` against the active credentials (several at once, for rotation).
/// Passwords are compared as SHA-256 digests in constant time, and every credential is checked so
/// the time taken does not tell which username exists.
///
/// SIMAS-ID sends the same header on every request, so the SHA-256 of each header value that
/// passed is remembered (a few, in memory only): a request then costs one digest of its header
/// and a constant-time comparison with every remembered digest, instead of a base64 decode and two
/// digests. A header that matches none takes the full check, so wrong credentials are never
/// answered faster or slower because of what was remembered.
public struct BasicAuthenticator: Sendable {
    private let credentials: [(username: [UInt8], digest: [UInt8])]
    private let accepted = AcceptedHeaders()

    public init(credentials: [StoredCredential]) {
        self.credentials = credentials.map { (Crypto.sha256(Array($0.username.utf8)), $0.passwordDigest) }
    }

    public var isEmpty: Bool { credentials.isEmpty }

    /// How many accepted header values are remembered (tests).
    var rememberedHeaders: Int { accepted.count }

    /// The username when the header carries valid credentials, nil otherwise.
    public func authenticate(authorizationHeader header: String?) -> String? {
        guard var header, header.utf8.count <= 1024 else { return nil }
        let headerDigest = header.withUTF8 { Crypto.sha256(bytes: UnsafeRawBufferPointer($0)) }
        if let user = accepted.user(for: headerDigest) { return user }
        guard let user = check(header) else { return nil }
        accepted.remember(headerDigest, user: user)
        return user
    }

    /// The full check: decode, digest user and password, compare with every credential.
    private func check(_ header: String) -> String? {
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
    static func decode(_ header: String) -> (user: ArraySlice<UInt8>, password: ArraySlice<UInt8>)? {
        var header = header
        return header.withUTF8 { bytes in
            guard bytes.count > 6 else { return nil }  // the 1 KiB cap is checked once, in `authenticate`
            for (i, expected) in "basic ".utf8.enumerated() where bytes[i] | (i < 5 ? 0x20 : 0) != expected {
                return nil
            }
            var start = 6, end = bytes.count
            while start < end, bytes[start] == UInt8(ascii: " ") { start += 1 }
            while end > start, bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
            guard let text = Base64.decode(bytes: UnsafeBufferPointer(rebasing: bytes[start..<end])),
                text.allSatisfy({ $0 < 0x80 }) || String(validating: text, as: UTF8.self) != nil,
                let colon = text.firstIndex(of: UInt8(ascii: ":"))
            else { return nil }
            return (text[..<colon], text[(colon + 1)...])
        }
    }
}

/// Digests of `Authorization` values that passed the full check, with their usernames. Bounded:
/// past `capacity` nothing more is remembered (the full check still answers).
private final class AcceptedHeaders: Sendable {
    static let capacity = 8
    private let entries = Mutex<[(digest: [UInt8], user: String)]>([])

    /// The user of a remembered digest. Compares with every entry in constant time.
    func user(for digest: [UInt8]) -> String? {
        entries.withLock { entries in
            var found: String?
            for e in entries where Crypto.constantTimeEquals(e.digest, digest) { found = e.user }
            return found
        }
    }

    func remember(_ digest: [UInt8], user: String) {
        entries.withLock { entries in
            guard entries.count < Self.capacity, !entries.contains(where: { $0.digest == digest }) else { return }
            entries.append((digest, user))
        }
    }

    var count: Int { entries.withLock { $0.count } }
}
