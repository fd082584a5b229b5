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
        var out = prefix
        out.append(UInt8(ascii: "-"))
        let digitsStart = out.count
        repeat {
            let d = UInt8(n & 0xF)
            out.append(d < 10 ? 0x30 + d : 0x57 + d)
            n >>= 4
        } while n != 0
        out[digitsStart...].reverse()
        return String(decoding: out, as: UTF8.self)
    }
}
