import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Opaque, time-sortable job ids: 48-bit epoch milliseconds and 80 random bits in Crockford
/// base32 (26 characters, ULID layout). Ids made within one millisecond by one generator increase.
public final class JobIDGenerator: Sendable {
    private struct State { var lastMillis: Int64 = 0; var hi: UInt16 = 0; var lo: UInt64 = 0 }
    private let state = Mutex(State())
    private let clock: any WallClock

    public init(clock: any WallClock = SystemClock()) { self.clock = clock }

    public func next() -> String {
        let now = clock.nowMillis()
        let (ms, hi, lo): (Int64, UInt16, UInt64) = state.withLock { s in
            if now > s.lastMillis {
                s.lastMillis = now
                var g = SystemRandomNumberGenerator()
                let r = (g.next() as UInt64, g.next() as UInt64)
                s.hi = UInt16(truncatingIfNeeded: r.0) & 0x7FFF  // room to increment
                s.lo = r.1
            } else {
                s.lo &+= 1
                if s.lo == 0 { s.hi &+= 1 }
            }
            return (s.lastMillis, s.hi, s.lo)
        }
        return JobIDGenerator.encode(millis: UInt64(ms), hi: hi, lo: lo)
    }

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    static func encode(millis: UInt64, hi: UInt16, lo: UInt64) -> String {
        unpack(high: (millis << 16) | UInt64(hi), low: lo)
    }

    /// Digit values by byte; 0xFF for bytes outside the alphabet.
    static let digitValues: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    /// An id as two words (16 bytes instead of a 26-character string), for compact in-memory indexes.
    /// On the string's bytes with a table lookup per digit (the outbox writer packs every new id).
    public static func pack(_ id: String) -> (high: UInt64, low: UInt64)? {
        var id = id
        return id.withUTF8 { bytes -> (high: UInt64, low: UInt64)? in
            guard bytes.count == 26 else { return nil }
            var a: UInt64 = 0, b: UInt64 = 0
            for c in bytes {
                let d = digitValues[Int(c)]
                guard d != 0xFF else { return nil }
                a = (a << 5) | (b >> 59)
                b = (b << 5) | UInt64(d)
            }
            return (a, b)
        }
    }

    /// The id `pack` made the words from.
    public static func unpack(high: UInt64, low: UInt64) -> String {
        // 128 bits: 48 time | 16 hi | 64 lo → 26 base32 digits (130 bits, top 2 zero).
        String(unsafeUninitializedCapacity: 26) { out in
            var a = high  // top 64 bits
            var b = low  // bottom 64 bits
            for i in stride(from: 25, through: 0, by: -1) {
                out[i] = alphabet[Int(b & 31)]
                b = (b >> 5) | ((a & 31) << 59)
                a >>= 5
            }
            return 26
        }
    }

    /// The creation time encoded in an id, or nil when it is not one of ours.
    public static func millis(of id: String) -> Int64? {
        let bytes = Array(id.utf8)
        guard bytes.count == 26 else { return nil }
        var v: UInt64 = 0
        for b in bytes.prefix(10) {
            guard let d = alphabet.firstIndex(of: b) else { return nil }
            v = v << 5 | UInt64(d)
        }
        return Int64(v)
    }
}
