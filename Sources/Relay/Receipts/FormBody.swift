/// `application/x-www-form-urlencoded` decoding (Twilio's callbacks): `name=value` pairs split on
/// `&`, `+` as space, `%XX` escapes; nil for a malformed escape or text that is not UTF-8.
enum FormBody {
    static func decode(_ bytes: [UInt8]) -> [(String, String)]? {
        var out: [(String, String)] = []
        for part in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let eq = part.firstIndex(of: UInt8(ascii: "="))
            guard let name = unescape(part[part.startIndex..<(eq ?? part.endIndex)]),
                let value = eq.map({ unescape(part[part.index(after: $0)...]) }) ?? ""
            else { return nil }
            out.append((name, value))
        }
        return out
    }

    static func unescape(_ s: ArraySlice<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = s.startIndex
        while i < s.endIndex {
            let b = s[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%") {
                guard s.distance(from: i, to: s.endIndex) >= 3,
                    let hi = hex(s[i + 1]), let lo = hex(s[i + 2])
                else { return nil }
                out.append(hi << 4 | lo)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}
