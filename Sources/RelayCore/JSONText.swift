/// Minimal JSON text helpers for hot paths (responses, log lines) that avoid Foundation encoders.
public enum JSONText {
    /// A JSON string literal, quoted and escaped (RFC 8259 §7).
    public static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `s` as a JSON string literal: `"` and `\` escaped, control characters and the
    /// line/paragraph separators U+2028/U+2029 (which break JavaScript parsers) as `\uXXXX`.
    /// Works on UTF-8 bytes: a plain string is copied through as is.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var pending: UInt8 = 0  // 1 after E2, 2 after E2 80 (a possible U+2028/U+2029)
        for b in s.utf8 {
            if pending == 2 && (b == 0xA8 || b == 0xA9) {
                out.removeLast(2)
                appendEscape(b == 0xA8 ? 0x2028 : 0x2029, to: &out)
                pending = 0
                continue
            }
            pending = b == 0xE2 ? 1 : (pending == 1 && b == 0x80 ? 2 : 0)
            switch b {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(b)
            case UInt8(ascii: "\\"): out.append(b); out.append(b)
            case UInt8(ascii: "\n"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20: appendEscape(UInt16(b), to: &out)
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendEscape(_ unit: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) { out.append(hexDigits[Int(unit >> UInt16(shift) & 0xF)]) }
    }
}
