import CCrypto

/// The AES-256-GCM implementation, fetched from the default provider once.
/// `@unchecked Sendable`: a fetched `EVP_CIPHER` is immutable and libcrypto documents it as safe to
/// share between threads; it is never freed (process lifetime).
final class AESGCMCipher: @unchecked Sendable {
    let pointer: OpaquePointer
    static let shared = AESGCMCipher()
    private init() {
        guard let c = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil) else {
            fatalError("libcrypto has no AES-256-GCM")
        }
        pointer = c
    }
}

/// An `EVP_CIPHER_CTX`, freed (and cleansed) in deinit. Not Sendable: one per operation.
final class CipherContext {
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        guard let p = EVP_CIPHER_CTX_new() else { throw .library("EVP_CIPHER_CTX_new") }
        pointer = p
    }

    deinit { EVP_CIPHER_CTX_free(pointer) }
}
