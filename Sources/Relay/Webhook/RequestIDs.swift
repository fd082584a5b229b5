import RelayCrypto
import Synchronization

/// Request ids for logs and the `X-Request-Id` header: a random per-process prefix and a counter
/// (cheap on the hot path, unique across restarts).
final class RequestIDs: Sendable {
    private let prefix = Crypto.hex(Crypto.randomBytes(4))
    private let counter = Atomic<UInt64>(0)

    func next() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        return prefix + "-" + String(n, radix: 16)
    }
}
