/// Single-pass `{name}` substitution: the template is scanned once, each known placeholder is
/// replaced by its escaped value, and substituted text is never scanned again, so a value that
/// itself contains `{otp}` stays literal. Unknown `{…}` sequences are kept as written.
public enum TemplateRenderer {
    public static func render(
        _ template: String, values: [String: String], escape: (String) -> String = { $0 }
    ) -> String {
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
