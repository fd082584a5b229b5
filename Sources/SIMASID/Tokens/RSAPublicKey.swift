import CCrypto
import Synchronization

/// An RSA public key from a JWK's `n` and `e`, held as a libcrypto `EVP_PKEY` and freed in
/// `deinit`. Verifies RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3).
///
/// `@unchecked Sendable`: the `EVP_PKEY` is never modified after `init`, and OpenSSL 3 allows a
/// key to be used by several threads at once for read-only operations (openssl-threads(7)); a
/// verification context is used by one thread at a time (taken from the pool under its lock).
public final class RSAPublicKey: @unchecked Sendable {
    /// Why `n`/`e` could not become a key.
    public enum KeyError: Error, Sendable, Equatable, CustomStringConvertible {
        case tooSmall(bits: Int, minimum: Int)
        case tooLarge(bits: Int, maximum: Int)
        case invalidExponent
        case invalidModulus
        case libcrypto(String)

        public var description: String {
            switch self {
            case .tooSmall(let b, let m): return "RSA key is \(b) bits, below the \(m)-bit minimum"
            case .tooLarge(let b, let m): return "RSA key is \(b) bits, above the \(m)-bit maximum"
            case .invalidExponent: return "RSA exponent must be odd, at least 3 and at most 64 bits"
            case .invalidModulus: return "RSA modulus is not a valid odd number"
            case .libcrypto(let s): return "libcrypto refused the key: \(s)"
            }
        }
    }

    public static let minimumBits = 2048
    /// Large keys make each verification slow; nobody signs access tokens with more than this.
    public static let maximumBits = 8192

    private let pkey: OpaquePointer
    /// Modulus size in bits; an RS256 signature is exactly `(bits + 7) / 8` bytes.
    public let bits: Int
    /// `n` and `e` without leading zero bytes: what `sameKey(as:)` compares.
    private let modulus: [UInt8]
    private let exponent: [UInt8]
    /// `EVP_PKEY_CTX`s already through `EVP_PKEY_verify_init` with PKCS#1 v1.5 padding and SHA-256:
    /// preparing one costs about a fifth of a verification (a provider fetch and a key export), so
    /// they are reused, at most `maxPooledContexts` kept.
    private let contexts = Mutex<[VerifyContext]>([])
    static let maxPooledContexts = 8
    /// `@unchecked Sendable`: one in the pool is owned by the pool, one taken by its one thread.
    private struct VerifyContext: @unchecked Sendable { let ctx: OpaquePointer }

    /// Builds the key with `EVP_PKEY_fromdata` from big-endian `n` and `e`.
    public init(modulus n: [UInt8], exponent e: [UInt8]) throws(KeyError) {
        let nTrim = n.drop(while: { $0 == 0 }), eTrim = e.drop(while: { $0 == 0 })
        guard let eLast = eTrim.last, eLast & 1 == 1, eTrim.count <= 8, !(eTrim.count == 1 && eLast < 3) else {
            throw .invalidExponent
        }
        guard let nLast = nTrim.last, nLast & 1 == 1 else { throw .invalidModulus }
        let nBits = (nTrim.count - 1) * 8 + (8 - nTrim.first!.leadingZeroBitCount)
        guard nBits >= Self.minimumBits else { throw .tooSmall(bits: nBits, minimum: Self.minimumBits) }
        guard nBits <= Self.maximumBits else { throw .tooLarge(bits: nBits, maximum: Self.maximumBits) }

        let bnN = Array(nTrim).withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        let bnE = Array(eTrim).withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        defer { BN_free(bnN); BN_free(bnE) }
        guard let bnN, let bnE, let bld = OSSL_PARAM_BLD_new() else { throw .libcrypto("BN_bin2bn: " + Self.lastError()) }
        defer { OSSL_PARAM_BLD_free(bld) }
        guard OSSL_PARAM_BLD_push_BN(bld, Self.cString("n"), bnN) == 1,
            OSSL_PARAM_BLD_push_BN(bld, Self.cString("e"), bnE) == 1,
            let params = OSSL_PARAM_BLD_to_param(bld)
        else { throw .libcrypto("OSSL_PARAM_BLD: " + Self.lastError()) }
        defer { OSSL_PARAM_free(params) }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else {
            throw .libcrypto("EVP_PKEY_CTX_new_from_name: " + Self.lastError())
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(ctx) == 1 else { throw .libcrypto("EVP_PKEY_fromdata_init: " + Self.lastError()) }
        guard EVP_PKEY_fromdata(ctx, &key, Self.publicKeySelection, params) == 1, let key else {
            throw .libcrypto("EVP_PKEY_fromdata: " + Self.lastError())
        }
        let actual = Int(EVP_PKEY_get_bits(key))
        guard actual == nBits else {
            EVP_PKEY_free(key)
            throw .libcrypto("key size \(actual) does not match the modulus (\(nBits) bits)")
        }
        self.pkey = key
        self.bits = nBits
        self.modulus = Array(nTrim)
        self.exponent = Array(eTrim)
    }

    deinit {
        for c in contexts.withLock({ $0 }) { EVP_PKEY_CTX_free(c.ctx) }
        EVP_PKEY_free(pkey)
    }

    /// The same public key (modulus and exponent), whatever object holds it: a refreshed JWKS
    /// parses new objects for unchanged keys.
    public func sameKey(as other: RSAPublicKey) -> Bool {
        other === self || (other.modulus == modulus && other.exponent == exponent)
    }

    /// OSSL_PARAM_BLD keeps the name pointer until `to_param`, so names must outlive the call: a
    /// Swift `String` argument would be a temporary. These are `OSSL_PKEY_PARAM_RSA_N`/`_E`.
    private static func cString(_ s: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    /// `EVP_PKEY_PUBLIC_KEY`, a compound macro Swift does not import.
    private static let publicKeySelection = Int32(
        OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS
            | OSSL_KEYMGMT_SELECT_OTHER_PARAMETERS)

    /// The SHA-256 digest, fetched once (an implicit fetch on every call costs a lock and a lookup).
    /// `@unchecked Sendable`: an `EVP_MD` is immutable once fetched and never freed.
    private struct Digest: @unchecked Sendable { let md: OpaquePointer? }
    private static let sha256 = Digest(md: EVP_MD_fetch(nil, "SHA256", nil))

    /// Checks an RS256 signature over `message`: SHA-256 of the message, then `EVP_PKEY_verify`,
    /// which checks the PKCS#1 v1.5 encoding including the SHA-256 DigestInfo (RFC 8017 §8.2.2). A
    /// signature of the wrong length is refused before libcrypto sees it.
    public func verifyRS256(signature: [UInt8], message: [UInt8]) -> Bool {
        guard signature.count == (bits + 7) / 8, let md = Self.sha256.md else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Int(EVP_MAX_MD_SIZE)) { digest in
            var length: UInt32 = 0
            let hashed = message.withUnsafeBufferPointer { EVP_Digest($0.baseAddress, $0.count, digest.baseAddress, &length, md, nil) }
            guard hashed == 1, length == 32, let ctx = takeContext(md) else {
                ERR_clear_error()
                return false
            }
            let ok = signature.withUnsafeBufferPointer { EVP_PKEY_verify(ctx, $0.baseAddress, $0.count, digest.baseAddress, 32) }
            guard ok == 1 else {
                // A refused signature is rare in real traffic: its context is not trusted again.
                ERR_clear_error()
                EVP_PKEY_CTX_free(ctx)
                return false
            }
            putBack(ctx)
            return true
        }
    }

    private func takeContext(_ md: OpaquePointer) -> OpaquePointer? {
        if let c = contexts.withLock({ $0.popLast() }) { return c.ctx }
        guard let ctx = EVP_PKEY_CTX_new(pkey, nil) else { return nil }
        guard EVP_PKEY_verify_init(ctx) == 1, EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1,
            EVP_PKEY_CTX_set_signature_md(ctx, md) == 1
        else {
            EVP_PKEY_CTX_free(ctx)
            return nil
        }
        return ctx
    }

    private func putBack(_ ctx: OpaquePointer) {
        let kept = contexts.withLock { c -> Bool in
            guard c.count < Self.maxPooledContexts else { return false }
            c.append(VerifyContext(ctx: ctx))
            return true
        }
        if !kept { EVP_PKEY_CTX_free(ctx) }
    }

    private static func lastError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "unknown error" }
        var buf = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buf, buf.count)
        return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
