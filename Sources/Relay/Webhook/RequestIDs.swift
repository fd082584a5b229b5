import RelayCrypto
import Synchronization

/// Request ids for logs and the `X-Request-Id` header: a random per-process prefix and a counter
/// (cheap on the hot path, unique across restarts).
final class RequestIDs: Sendable {
    private let prefix = Array(Crypto.hex(Crypto.randomBytes(4)).utf8)
    private let counter = Atomic<UInt64>(0)

    /// `prefix-counter`, the counter in lower-case hex (formatted by hand: the generic
    /// `String(_:radix:)` showed in the webhook's profile).
    func next() -> String {
        var n = counter.add(1, ordering: .relaxed).newValue
        var digits: (UInt64, UInt64) = (0, 0)  // 16 bytes of scratch for up to 16 hex digits
        return withUnsafeMutableBytes(of: &digits) { scratch in
            var i = 16
            repeat {
                i -= 1
                let d = UInt8(n & 0xF)
                scratch[i] = d < 10 ? 0x30 + d : 0x57 + d
                n >>= 4
            } while n != 0
            return String(unsafeUninitializedCapacity: prefix.count + 1 + 16 - i) { out in
                for (j, b) in prefix.enumerated() { out[j] = b }
                out[prefix.count] = UInt8(ascii: "-")
                for j in i..<16 { out[prefix.count + 1 + j - i] = scratch[j] }
                return prefix.count + 1 + 16 - i
            }
        }
    }
}
