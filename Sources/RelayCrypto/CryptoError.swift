/// A failure in a cryptographic operation. The description names the operation only: never a key,
/// a plaintext or any other secret input.
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case invalidKeyLength(Int)
        case invalidBase64
        case sealedTooShort
        case authenticationFailed
        case library(String)
    }
    let kind: Kind

    /// A data key must be exactly 32 bytes.
    public static func invalidKeyLength(_ n: Int) -> CryptoError { .init(kind: .invalidKeyLength(n)) }
    /// Text that is not valid (standard, padded) base64.
    public static let invalidBase64 = CryptoError(kind: .invalidBase64)
    /// A sealed box shorter than nonce + tag.
    public static let sealedTooShort = CryptoError(kind: .sealedTooShort)
    /// The tag did not verify: wrong key, wrong associated data, or tampered bytes.
    public static let authenticationFailed = CryptoError(kind: .authenticationFailed)
    /// libcrypto reported an error in the named call.
    static func library(_ call: String) -> CryptoError { .init(kind: .library(call)) }

    public var description: String {
        switch kind {
        case .invalidKeyLength(let n): "data key must be 32 bytes, got \(n)"
        case .invalidBase64: "value is not valid base64"
        case .sealedTooShort: "sealed data is too short"
        case .authenticationFailed: "sealed data failed authentication"
        case .library(let call): "libcrypto call failed: \(call)"
        }
    }
}
