/// Strict base64url (RFC 4648 §5) as JWS compact serialization requires (RFC 7515 §2):
/// no padding, only `A–Z a–z 0–9 - _`, and canonical trailing bits, so one token has one spelling.
public enum Base64URL {
    /// Why a base64url segment was refused.
    public enum DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        case invalidCharacter(offset: Int)
        case invalidLength(Int)
        case nonCanonicalTrailingBits

        public var description: String {
            switch self {
            case .invalidCharacter(let o): return "character at offset \(o) is not base64url (padding and +/ are not allowed)"
            case .invalidLength(let n): return "length \(n) is not a valid unpadded base64url length"
            case .nonCanonicalTrailingBits: return "the unused trailing bits are not zero"
            }
        }
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// 255 marks a byte outside the alphabet.
    private static let table: [UInt8] = {
        var t = [UInt8](repeating: 255, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    /// Decodes `input`; refuses padding, `+`, `/`, whitespace and non-zero unused bits.
    public static func decode<C: Collection>(_ input: C) throws(DecodingError) -> [UInt8] where C.Element == UInt8 {
        if let result = input.withContiguousStorageIfAvailable({ decode(UnsafeBufferPointer(rebasing: $0[...])) }) {
            return try result.get()
        }
        return try Array(input).withUnsafeBufferPointer { decode($0) }.get()
    }

    /// The hot path: one table lookup per character into a buffer sized up front.
    private static func decode(_ input: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], DecodingError> {
        let count = input.count
        if count % 4 == 1 { return .failure(.invalidLength(count)) }
        let outCount = count * 3 / 4
        var failure: DecodingError?
        let out = [UInt8](unsafeUninitializedCapacity: outCount) { buffer, initialized in
            table.withUnsafeBufferPointer { t in
                var acc: UInt32 = 0
                var bits: UInt32 = 0
                var o = 0
                for i in 0..<count {
                    let v = t[Int(input[i])]
                    if v == 255 { failure = .invalidCharacter(offset: i); break }
                    acc = (acc << 6) | UInt32(v)
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        buffer[o] = UInt8(truncatingIfNeeded: acc >> bits)
                        o += 1
                    }
                }
                // 2 or 4 bits left over must be zero, or the same bytes would have several spellings.
                if failure == nil, bits > 0, acc & ((1 << bits) - 1) != 0 { failure = .nonCanonicalTrailingBits }
                initialized = o
            }
        }
        if let failure { return .failure(failure) }
        return .success(out)
    }

    /// Encodes without padding.
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var acc: UInt32 = 0
        var bits = 0
        for b in bytes {
            acc = (acc << 8) | UInt32(b)
            bits += 8
            while bits >= 6 {
                bits -= 6
                out.append(alphabet[Int((acc >> UInt32(bits)) & 63)])
            }
        }
        if bits > 0 { out.append(alphabet[Int((acc << UInt32(6 - bits)) & 63)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
