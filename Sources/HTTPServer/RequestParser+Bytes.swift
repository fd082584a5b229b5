/// Byte-level helpers for `RequestParser`: no allocation, no Foundation.
extension RequestParser {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let httpSlash = "HTTP/"

    /// Lines of a head that ends in CRLFCRLF, without their CRLF.
    struct LineCursor {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        mutating func next() -> UnsafeRawBufferPointer? {
            var i = position
            while i + 1 < bytes.count {
                if bytes[i] == RequestParser.cr && bytes[i + 1] == RequestParser.lf {
                    let line = RequestParser.slice(bytes, position, i)
                    position = i + 2
                    return line
                }
                i += 1
            }
            return nil
        }
    }

    @inline(__always)
    static func slice(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: b[start..<end])
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }

    /// RFC 9110 tchar (`!#$%&'*+-.^_`|~`, digits, letters) as a 128-bit set: bytes 0–63, 64–127.
    /// Literals, not a computed table, so the hot path has no lazy-initialization check.
    private static let tokenMaskLow: UInt64 = 0x03FF_6CFA_0000_0000
    private static let tokenMaskHigh: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    @inline(__always)
    static func isTokenChar(_ c: UInt8) -> Bool {
        if c < 64 { return tokenMaskLow >> UInt64(c) & 1 == 1 }
        if c < 128 { return tokenMaskHigh >> UInt64(c - 64) & 1 == 1 }
        return false
    }

    enum KnownField { case contentLength, transferEncoding, host, connection, expect, other }

    static func knownField(_ name: UnsafeRawBufferPointer) -> KnownField {
        switch name.count {
        case 4: return equalsIgnoringCase(name, "host") ? .host : .other
        case 6: return equalsIgnoringCase(name, "expect") ? .expect : .other
        case 10: return equalsIgnoringCase(name, "connection") ? .connection : .other
        case 14: return equalsIgnoringCase(name, "content-length") ? .contentLength : .other
        case 17: return equalsIgnoringCase(name, "transfer-encoding") ? .transferEncoding : .other
        default: return .other
        }
    }

    /// ASCII case-insensitive comparison of bytes with a lowercase literal.
    static func equalsIgnoringCase(_ b: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
        guard b.count == lower.utf8CodeUnitCount else { return false }
        let l = lower.utf8Start
        for i in 0..<b.count where HTTPHeaders.lowerASCII(b[i]) != l[i] { return false }
        return true
    }

    /// Content-Length: 1*DIGIT and nothing else (no sign, no list, no inner space); at most 18
    /// digits so it cannot overflow.
    static func parseLength(_ b: UnsafeRawBufferPointer) -> Int? {
        guard !b.isEmpty, b.count <= 18 else { return nil }
        var n = 0
        for c in b {
            guard isDigit(c) else { return nil }
            n = n * 10 + Int(c - 48)
        }
        return n
    }

    /// Calls `body` with each non-empty element of a comma-separated list, OWS trimmed.
    static func forEachToken(_ b: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        for i in 0...b.count where i == b.count || b[i] == UInt8(ascii: ",") {
            var s = start, e = i
            while s < e, b[s] == space || b[s] == tab { s += 1 }
            while e > s, b[e - 1] == space || b[e - 1] == tab { e -= 1 }
            if e > s { body(slice(b, s, e)) }
            start = i + 1
        }
    }
}
