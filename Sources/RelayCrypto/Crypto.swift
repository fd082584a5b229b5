import CCrypto

/// Hashing, MACs, randomness and comparison over libcrypto. Every function is safe to call from
/// any thread: one-shot calls only, no shared mutable state.
public enum Crypto {
    /// `count` bytes from the OpenSSL CSPRNG. A failing CSPRNG is unrecoverable.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0)
        var out = [UInt8](repeating: 0, count: count)
        if count == 0 { return out }
        let rc = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        if rc != 1 { fatalError("RAND_bytes failed") }
        return out
    }

    /// SHA-256 digest (32 bytes).
    public static func sha256(_ data: some Collection<UInt8>) -> [UInt8] {
        withNonNull(data) { p, n in sha256(bytes: UnsafeRawBufferPointer(start: p, count: n)) }
    }

    /// SHA-256 digest (32 bytes) of raw bytes (no generic dispatch: for hot paths).
    public static func sha256(bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let ctx = DigestContext()
        ctx.begin()
        if let p = bytes.baseAddress { ctx.update(p, bytes.count) }
        return ctx.finish()
    }

    /// HMAC-SHA256 (RFC 2104) of `data` under `key`, for one-off MACs (a key used per request
    /// belongs in an `HMACKey`, which prepares the padded key once).
    public static func hmacSHA256(key: [UInt8], data: some Collection<UInt8>) -> [UInt8] {
        HMACKey(key).mac { update in withNonNull(data) { p, n in update(UnsafeRawBufferPointer(start: p, count: n)) } }
    }

    /// HMAC-SHA1 (RFC 2104) of `data` under `key`: only for checking a partner's signatures that
    /// are defined with it (Twilio's `X-Twilio-Signature`), never for our own MACs.
    public static func hmacSHA1(key: [UInt8], data: some Collection<UInt8>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = withNonNull(key) { k, kn in
            withNonNull(data) { d, dn in HMAC(EVP_sha1(), k, Int32(kn), d, dn, &out, &length) != nil }
        }
        guard ok, length == 20 else { fatalError("HMAC-SHA1 failed") }
        return Array(out.prefix(20))
    }

    /// Compares in time independent of the contents; different lengths are unequal.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 }
        }
    }

    /// Lower-case hexadecimal.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses hexadecimal (either case); nil when malformed.
    public static func unhex(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    /// Calls `body` with a non-NULL pointer and a length (libcrypto rejects some NULL inputs even
    /// at length 0).
    static func withNonNull<C: Collection<UInt8>, R>(
        _ data: C, _ body: (UnsafePointer<UInt8>, Int) -> R
    ) -> R {
        let r = data.withContiguousStorageIfAvailable { buf -> R? in
            guard let base = buf.baseAddress else { return nil }
            return body(base, buf.count)
        }
        if let r = r ?? nil { return r }
        let copy = data.isEmpty ? [0] : Array(data)
        return copy.withUnsafeBufferPointer { body($0.baseAddress!, data.isEmpty ? 0 : copy.count) }
    }
}
