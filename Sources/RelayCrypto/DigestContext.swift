import CCrypto

/// SHA-256, fetched from the default provider once (no implicit fetch on every call).
/// `@unchecked Sendable`: a fetched `EVP_MD` is immutable and safe to share between threads; it is
/// never freed (process lifetime).
final class SHA256Digest: @unchecked Sendable {
    let pointer: OpaquePointer
    static let shared = SHA256Digest()
    private init() {
        guard let md = EVP_MD_fetch(nil, "SHA256", nil) else { fatalError("libcrypto has no SHA256") }
        pointer = md
    }
}

/// An `EVP_MD_CTX` for SHA-256, freed in deinit. Not Sendable: one per operation.
final class DigestContext {
    let pointer: OpaquePointer

    init() {
        guard let p = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed") }
        pointer = p
    }

    deinit { EVP_MD_CTX_free(pointer) }

    func begin() {
        guard EVP_DigestInit_ex2(pointer, SHA256Digest.shared.pointer, nil) == 1 else { fatalError("EVP_DigestInit_ex2 failed") }
    }

    func update(_ p: UnsafeRawPointer, _ n: Int) {
        guard n == 0 || EVP_DigestUpdate(pointer, p, n) == 1 else { fatalError("EVP_DigestUpdate failed") }
    }

    func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { if let b = $0.baseAddress { update(b, $0.count) } }
    }

    func finish() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var n: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(pointer, $0.baseAddress, &n) }
        guard ok == 1, n == 32 else { fatalError("EVP_DigestFinal_ex failed") }
        return out
    }
}
