/// A strict RFC 8259 reader for the members of a JSON object, straight from UTF-8 bytes and without
/// Foundation: webhook bodies are read on the event loop, where `JSONSerialization` and the casts out
/// of `[String: Any]` cost about a fifth of the thread's CPU.
///
/// Strict: UTF-8 only (one leading byte order mark is skipped); whitespace is space, tab, LF and CR;
/// no trailing commas, comments, single quotes, `NaN`, leading zeros, unescaped control characters
/// or unpaired surrogates; one value and nothing after it. Containers nested deeper than
/// ``maxDepth`` are refused as invalid: that bounds the recursion, and no body we accept nests at all.
/// Only the members named at `init` are decoded; every other value is validated, never stored.
/// A named member that appears twice is refused (`duplicateMember`), as `JSONParser` refuses any
/// duplicate: the body is ambiguous (RFC 8259 §4), and two readers must never disagree on which OTP
/// it carries (RFC 8725 §3.1). Names match byte for byte after escapes are applied.
public struct JSONObjectReader: Sendable {
    /// A member's value: strings are decoded, anything else is only validated.
    public enum Value: Sendable, Equatable {
        case string(String)
        case null
        /// A number, `true`, `false`, an object or an array.
        case other
    }

    /// Why a body was refused. Carries no part of the input.
    public enum Failure: Error, Sendable, Equatable {
        /// Not a JSON text: a syntax error, invalid UTF-8, or nesting deeper than ``maxDepth``.
        case invalid
        /// A valid JSON text whose top-level value is not an object.
        case notAnObject
        /// A valid JSON object in which a member named at `init` appears more than once.
        case duplicateMember
    }

    /// The deepest container nesting accepted; the top-level object is level 1.
    public static let maxDepth = 64

    private let names: [[UInt8]]

    /// A reader that decodes the members named `fields`, in that order.
    public init(fields: [String]) { names = fields.map { Array($0.utf8) } }

    /// Reads one complete JSON text and returns each field's value, in the order given at `init`;
    /// nil for a field the object does not have.
    public func read(_ bytes: [UInt8]) throws(Failure) -> [Value?] {
        try bytes.withUnsafeBufferPointer { (buf) throws(Failure) -> [Value?] in
            try withUnsafeTemporaryAllocation(of: Found.self, capacity: names.count) { (found) throws(Failure) -> [Value?] in
                found.initialize(repeating: .absent)
                var c = Cursor(buf: buf)
                if buf.count >= 3, buf[0] == 0xEF, buf[1] == 0xBB, buf[2] == 0xBF { c.pos = 3 }
                c.skipWhitespace()
                let isObject = c.peek == UInt8(ascii: "{")
                if isObject {
                    try c.topLevelMembers(names, into: found)
                } else {
                    try c.skipValue(depth: 0)
                }
                c.skipWhitespace()
                guard c.pos == buf.count else { throw .invalid }
                guard isObject else { throw .notAnObject }
                if c.duplicate { throw .duplicateMember }
                return found.map { $0.value(in: buf) }
            }
        }
    }

    /// Where a wanted member's value is, until the whole text has been validated.
    private enum Found {
        case absent
        case null
        case other
        case string(start: Int, end: Int, escaped: Bool)

        func value(in buf: UnsafeBufferPointer<UInt8>) -> Value? {
            switch self {
            case .absent: return nil
            case .null: return .null
            case .other: return .other
            case .string(let start, let end, let escaped):
                let raw = UnsafeBufferPointer(rebasing: buf[start..<end])
                guard escaped else { return .string(String(decoding: raw, as: UTF8.self)) }
                // Unescaping never lengthens: \uXXXX is 6 bytes for at most 3, a pair 12 for 4.
                return .string(String(unsafeUninitializedCapacity: raw.count) { JSONObjectReader.unescape(raw, into: $0) })
            }
        }
    }

    /// Writes the UTF-8 of a validated string body with its escapes applied; returns the length.
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var i = 0, n = 0
        func put(_ b: UInt8) { out[n] = b; n += 1 }
        while i < raw.count {
            let b = raw[i]
            guard b == UInt8(ascii: "\\"), i + 1 < raw.count else { put(b); i += 1; continue }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): put(0x08)
            case UInt8(ascii: "f"): put(0x0C)
            case UInt8(ascii: "n"): put(0x0A)
            case UInt8(ascii: "r"): put(0x0D)
            case UInt8(ascii: "t"): put(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(raw, i)
                i += 4
                if scalar >= 0xD800, scalar <= 0xDBFF, i + 6 <= raw.count {  // validated: a low surrogate follows
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hex4(raw, i + 2) - 0xDC00)
                    i += 6
                }
                if scalar < 0x80 {
                    put(UInt8(scalar))
                } else if scalar < 0x800 {
                    put(UInt8(0xC0 | scalar >> 6)); put(UInt8(0x80 | scalar & 0x3F))
                } else if scalar < 0x10000 {
                    put(UInt8(0xE0 | scalar >> 12)); put(UInt8(0x80 | scalar >> 6 & 0x3F)); put(UInt8(0x80 | scalar & 0x3F))
                } else {
                    put(UInt8(0xF0 | scalar >> 18)); put(UInt8(0x80 | scalar >> 12 & 0x3F))
                    put(UInt8(0x80 | scalar >> 6 & 0x3F)); put(UInt8(0x80 | scalar & 0x3F))
                }
            default: put(e)  // " \ /
            }
        }
        return n
    }

    /// The value of four hex digits already validated by `Cursor.escape`.
    private static func hex4(_ raw: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in at..<min(at + 4, raw.count) {
            let c = UInt32(raw[k])
            v = v << 4 | (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10)
        }
        return v
    }

    /// A position in the text; each method starts at the first byte of what it reads and
    /// stops just after it.
    private struct Cursor {
        let buf: UnsafeBufferPointer<UInt8>
        var pos = 0
        var duplicate = false  // a wanted member seen twice (reported once the whole text is valid)

        init(buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }
        var peek: UInt8? { pos < buf.count ? buf[pos] : nil }

        mutating func skipWhitespace() {
            while pos < buf.count, buf[pos] == 0x20 || buf[pos] == 0x0A || buf[pos] == 0x0D || buf[pos] == 0x09 { pos += 1 }
        }

        /// The top-level object: wanted members are recorded, the rest validated.
        mutating func topLevelMembers(_ names: [[UInt8]], into found: UnsafeMutableBufferPointer<Found>) throws(Failure) {
            pos += 1
            skipWhitespace()
            if peek == UInt8(ascii: "}") { pos += 1; return }
            while true {
                guard peek == UInt8(ascii: "\"") else { throw .invalid }
                let key = try string()
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { throw .invalid }
                pos += 1
                skipWhitespace()
                let slot = JSONObjectReader.slot(of: key, in: buf, names: names)
                let value: Found
                switch peek {
                case UInt8(ascii: "\""):
                    let s = try string()
                    value = .string(start: s.start, end: s.end, escaped: s.escaped)
                case UInt8(ascii: "n"):
                    try literal("null")
                    value = .null
                default:
                    try skipValue(depth: 1)
                    value = .other
                }
                if let slot {
                    if case .absent = found[slot] {} else { duplicate = true }
                    found[slot] = value
                }
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): pos += 1; skipWhitespace()
                case UInt8(ascii: "}"): pos += 1; return
                default: throw .invalid
                }
            }
        }

        /// Validates one value inside a container at `depth` (0 for the top level).
        mutating func skipValue(depth: Int) throws(Failure) {
            guard pos < buf.count else { throw .invalid }
            switch buf[pos] {
            case UInt8(ascii: "{"): try skipContainer(close: UInt8(ascii: "}"), depth: depth + 1)
            case UInt8(ascii: "["): try skipContainer(close: UInt8(ascii: "]"), depth: depth + 1)
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw .invalid
            }
        }

        /// An object (`close` is `}`: members are name, colon, value) or an array.
        mutating func skipContainer(close: UInt8, depth: Int) throws(Failure) {
            guard depth <= JSONObjectReader.maxDepth else { throw .invalid }
            let isObject = close == UInt8(ascii: "}")
            pos += 1
            skipWhitespace()
            if peek == close { pos += 1; return }
            while true {
                if isObject {
                    guard peek == UInt8(ascii: "\"") else { throw .invalid }
                    _ = try string()
                    skipWhitespace()
                    guard peek == UInt8(ascii: ":") else { throw .invalid }
                    pos += 1
                    skipWhitespace()
                }
                try skipValue(depth: depth)
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): pos += 1; skipWhitespace()
                case close: pos += 1; return
                default: throw .invalid
                }
            }
        }

        mutating func literal(_ word: StaticString) throws(Failure) {
            let n = word.utf8CodeUnitCount
            guard pos + n <= buf.count else { throw .invalid }
            for i in 0..<n where buf[pos + i] != word.utf8Start[i] { throw .invalid }
            pos += n
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; what follows is the caller's.
        mutating func number() throws(Failure) {
            if peek == UInt8(ascii: "-") { pos += 1 }
            guard let first = peek, first >= 0x30, first <= 0x39 else { throw .invalid }
            pos += 1
            if first != 0x30 { _ = digits() }
            if peek == UInt8(ascii: ".") {
                pos += 1
                guard digits() > 0 else { throw .invalid }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                pos += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { pos += 1 }
                guard digits() > 0 else { throw .invalid }
            }
        }

        mutating func digits() -> Int {
            let from = pos
            while pos < buf.count, buf[pos] >= 0x30, buf[pos] <= 0x39 { pos += 1 }
            return pos - from
        }

        /// A string: returns its body's bounds (without quotes) after checking escapes and UTF-8.
        mutating func string() throws(Failure) -> (start: Int, end: Int, escaped: Bool) {
            pos += 1
            let from = pos
            var escaped = false
            while pos < buf.count {
                let b = buf[pos]
                if b == UInt8(ascii: "\"") {
                    pos += 1
                    return (from, pos - 1, escaped)
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                    try escape()
                } else if b < 0x20 {
                    throw .invalid
                } else if b < 0x80 {
                    pos += 1
                } else {
                    try utf8Sequence(lead: b)
                }
            }
            throw .invalid
        }

        /// `\" \\ \/ \b \f \n \r \t \uXXXX`; a high surrogate must be followed by an escaped low one.
        mutating func escape() throws(Failure) {
            guard pos + 1 < buf.count else { throw .invalid }
            let e = buf[pos + 1]
            pos += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                return
            case UInt8(ascii: "u"):
                let unit = try hex4()
                if unit >= 0xD800, unit <= 0xDBFF {
                    guard pos + 1 < buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u") else { throw .invalid }
                    pos += 2
                    let low = try hex4()
                    guard low >= 0xDC00, low <= 0xDFFF else { throw .invalid }
                } else if unit >= 0xDC00, unit <= 0xDFFF {
                    throw .invalid
                }
            default:
                throw .invalid
            }
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard pos + 4 <= buf.count else { throw .invalid }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = buf[pos]
                let d: UInt8
                switch c {
                case 0x30...0x39: d = c - 0x30
                case 0x41...0x46: d = c - 0x41 + 10
                case 0x61...0x66: d = c - 0x61 + 10
                default: throw .invalid
                }
                v = v << 4 | UInt32(d)
                pos += 1
            }
            return v
        }

        /// One well-formed multi-byte UTF-8 sequence (Unicode Table 3-7): no overlong forms,
        /// no surrogates, nothing above U+10FFFF, nothing truncated.
        mutating func utf8Sequence(lead: UInt8) throws(Failure) {
            let count: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF  // bounds of the second byte
            switch lead {
            case 0xC2...0xDF: count = 2
            case 0xE0: count = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: count = 3
            case 0xED: count = 3; high = 0x9F
            case 0xF0: count = 4; low = 0x90
            case 0xF1...0xF3: count = 4
            case 0xF4: count = 4; high = 0x8F
            default: throw .invalid
            }
            guard pos + count <= buf.count, buf[pos + 1] >= low, buf[pos + 1] <= high else { throw .invalid }
            for i in 2..<count where buf[pos + i] & 0xC0 != 0x80 { throw .invalid }
            pos += count
        }
    }
}
