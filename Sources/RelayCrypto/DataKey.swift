import CCrypto

/// An AES-256-GCM data key: seals the secrets stored at rest (OTP, full recipient, KYC data) and
/// derives the HMAC subkeys used for dedupe and rate-limit lookups. Safe to share between threads.
public struct DataKey: Sendable {
    public static let keyLength = 32
    public static let nonceLength = 12
    public static let tagLength = 16
    /// Bytes a sealed box adds to its plaintext.
    public static let overhead = nonceLength + tagLength

    let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == DataKey.keyLength else { throw .invalidKeyLength(bytes.count) }
        self.bytes = bytes
    }

    public init(base64: String) throws(CryptoError) {
        guard let b = Base64.decode(base64) else { throw .invalidBase64 }
        try self.init(bytes: b)
    }

    /// A fresh random key.
    public static func generate() -> DataKey {
        DataKey(unchecked: Crypto.randomBytes(keyLength))
    }

    private init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// The key as standard base64 (for the generated-on-first-run key file).
    public var base64: String { Base64.encode(bytes) }

    /// `HMAC-SHA256(key, "otp-relay/" + label)`: an independent subkey per purpose.
    public func derive(label: String) -> [UInt8] {
        Crypto.hmacSHA256(key: bytes, data: Array(("otp-relay/" + label).utf8))
    }

    /// `HMAC-SHA256(key, "otp-relay/key-fingerprint")` in hex: names the key (in the database, in
    /// messages) without revealing it.
    public var fingerprint: String { Crypto.hex(derive(label: "key-fingerprint")) }

    /// Encrypts and authenticates: `nonce(12) | ciphertext | tag(16)` with a random nonce.
    /// `associatedData` is authenticated, not stored; `open` must be given the same bytes.
    public func seal(_ plaintext: [UInt8], associatedData: [UInt8]) throws(CryptoError) -> [UInt8] {
        try seal(plaintext, associatedData: associatedData, nonce: Crypto.randomBytes(DataKey.nonceLength))
    }

    /// Seal with a caller-chosen nonce: only for known-answer tests. A nonce must never repeat under a key.
    func seal(_ plaintext: [UInt8], associatedData: [UInt8], nonce: [UInt8]) throws(CryptoError) -> [UInt8] {
        precondition(nonce.count == DataKey.nonceLength)
        let ctx = try CipherContext()
        var out = [UInt8](repeating: 0, count: DataKey.overhead + plaintext.count)
        let ok: Bool = bytes.withUnsafeBufferPointer { k in
            nonce.withUnsafeBufferPointer { iv in
                out.withUnsafeMutableBufferPointer { o in
                    let base = o.baseAddress!
                    base.update(from: iv.baseAddress!, count: DataKey.nonceLength)
                    guard EVP_EncryptInit_ex2(ctx.pointer, AESGCMCipher.shared.pointer, k.baseAddress, iv.baseAddress, nil) == 1 else {
                        return false
                    }
                    var n: Int32 = 0
                    if !associatedData.isEmpty {
                        let r = associatedData.withUnsafeBufferPointer {
                            EVP_EncryptUpdate(ctx.pointer, nil, &n, $0.baseAddress, Int32($0.count))
                        }
                        guard r == 1 else { return false }
                    }
                    var written = 0
                    if !plaintext.isEmpty {
                        let r = plaintext.withUnsafeBufferPointer {
                            EVP_EncryptUpdate(ctx.pointer, base + DataKey.nonceLength, &n, $0.baseAddress, Int32($0.count))
                        }
                        guard r == 1 else { return false }
                        written = Int(n)
                    }
                    guard EVP_EncryptFinal_ex(ctx.pointer, base + DataKey.nonceLength + written, &n) == 1 else { return false }
                    written += Int(n)
                    guard written == plaintext.count else { return false }
                    let tag = base + DataKey.nonceLength + plaintext.count
                    return EVP_CIPHER_CTX_ctrl(ctx.pointer, EVP_CTRL_AEAD_GET_TAG, Int32(DataKey.tagLength), tag) == 1
                }
            }
        }
        guard ok else { throw .library("AES-256-GCM seal") }
        return out
    }

    /// Verifies the tag and decrypts a box made by `seal` with the same associated data.
    public func open(_ sealed: [UInt8], associatedData: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard sealed.count >= DataKey.overhead else { throw .sealedTooShort }
        let ctx = try CipherContext()
        let length = sealed.count - DataKey.overhead
        var out = [UInt8](repeating: 0, count: max(length, 1))
        let result: Int32 = bytes.withUnsafeBufferPointer { k in
            sealed.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    let iv = s.baseAddress!
                    guard EVP_DecryptInit_ex2(ctx.pointer, AESGCMCipher.shared.pointer, k.baseAddress, iv, nil) == 1 else { return -1 }
                    var n: Int32 = 0
                    if !associatedData.isEmpty {
                        let r = associatedData.withUnsafeBufferPointer {
                            EVP_DecryptUpdate(ctx.pointer, nil, &n, $0.baseAddress, Int32($0.count))
                        }
                        guard r == 1 else { return -1 }
                    }
                    var written = 0
                    if length > 0 {
                        guard EVP_DecryptUpdate(ctx.pointer, o.baseAddress, &n, iv + DataKey.nonceLength, Int32(length)) == 1 else {
                            return -1
                        }
                        written = Int(n)
                    }
                    let tag = UnsafeMutableRawPointer(mutating: iv + DataKey.nonceLength + length)
                    guard EVP_CIPHER_CTX_ctrl(ctx.pointer, EVP_CTRL_AEAD_SET_TAG, Int32(DataKey.tagLength), tag) == 1 else { return -1 }
                    guard EVP_DecryptFinal_ex(ctx.pointer, o.baseAddress! + written, &n) == 1 else { return 0 }
                    return written + Int(n) == length ? 1 : -1
                }
            }
        }
        switch result {
        case 1:
            if length == 0 { return [] }
            return out
        case 0:
            out.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
            throw .authenticationFailed
        default:
            throw .library("AES-256-GCM open")
        }
    }
}
