/// Single-pass `{name}` substitution: the template is scanned once, each known placeholder is
/// replaced by its escaped value, and substituted text is never scanned again, so a value that
/// itself contains `{otp}` stays literal. Unknown `{…}` sequences are kept as written.
public enum TemplateRenderer {
    public static func render(
        _ template: String, values: [String: String], escape: (String) -> String = { $0 }
    ) -> String {
        if let fast = renderASCII(template, values: values, escape: escape) { return fast }
        var out = ""
        out.reserveCapacity(template.utf8.count + 16)
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(where: { $0 == "}" || $0 == "{" }),
                rest[close] == "}", let value = values[String(rest[afterOpen..<close])]
            else {
                out += "{"
                rest = rest[afterOpen...]
                continue
            }
            out += escape(value)
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }

    /// `render` on the template's bytes when it is all ASCII (every template built in, and most
    /// configured ones): there each byte is its own character, so scanning bytes for `{` and `}`
    /// finds exactly what scanning characters finds, without breaking the text into grapheme
    /// clusters on every send. Nil for a template with other characters (a `{` followed by a
    /// combining mark is not a brace there): the character scan above handles it.
    private static func renderASCII(
        _ template: String, values: [String: String], escape: (String) -> String
    ) -> String? {
        var template = template
        return template.withUTF8 { t -> String? in
            guard t.allSatisfy({ $0 < 0x80 }) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(t.count + 64)
            var i = 0
            while i < t.count {
                guard t[i] == UInt8(ascii: "{") else {
                    out.append(t[i])
                    i += 1
                    continue
                }
                var close = i + 1
                while close < t.count && t[close] != UInt8(ascii: "}") && t[close] != UInt8(ascii: "{") { close += 1 }
                if close < t.count && t[close] == UInt8(ascii: "}"),
                    let value = values[String(decoding: UnsafeBufferPointer(rebasing: t[(i + 1)..<close]), as: UTF8.self)]
                {
                    var escaped = escape(value)
                    escaped.withUTF8 { out.append(contentsOf: $0) }
                    i = close + 1
                } else {
                    out.append(UInt8(ascii: "{"))
                    i += 1
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// The placeholder names a template uses (for configuration checks).
    public static func placeholders(in template: String) -> [String] {
        var names: [String] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(where: { $0 == "}" || $0 == "{" }) else { break }
            if rest[close] == "}" { names.append(String(rest[afterOpen..<close])) }
            rest = rest[close...]
            if rest.first == "}" { rest = rest.dropFirst() }
        }
        return names
    }

    /// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
    public static func htmlEscape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
