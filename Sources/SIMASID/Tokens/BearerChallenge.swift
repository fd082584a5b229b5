/// The auth-params of a `WWW-Authenticate: Bearer …` challenge (RFC 6750 §3), e.g.
/// `Bearer realm="simas-id", error="insufficient_scope", error_description="…"`.
struct BearerChallenge {
    var parameters: [String: String] = [:]

    init(_ header: String?) {
        guard let header else { return }
        var rest = Substring(header)
        guard rest.lowercased().hasPrefix("bearer") else { return }
        rest = rest.dropFirst("bearer".count)
        while !rest.isEmpty {
            rest = rest.drop(while: { $0 == " " || $0 == "," || $0 == "\t" })
            let name = rest.prefix(while: { $0 != "=" && $0 != "," && $0 != " " })
            rest = rest.dropFirst(name.count)
            guard rest.first == "=" else { continue }
            rest = rest.dropFirst()
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let c = rest.first, c != "\"" {
                    if c == "\\", rest.count > 1 { rest = rest.dropFirst() }
                    value.append(rest.first!)
                    rest = rest.dropFirst()
                }
                rest = rest.dropFirst()
            } else {
                value = String(rest.prefix(while: { $0 != "," && $0 != " " }))
                rest = rest.dropFirst(value.count)
            }
            if !name.isEmpty { parameters[name.lowercased()] = value }
        }
    }

    var error: String? { parameters["error"] }

    /// "(error: …, …)" for a detail, or "" when the challenge said nothing.
    var summary: String {
        guard let error else { return "" }
        let description = parameters["error_description"].map { ", \(TokenError.quoted($0, limit: 120))" } ?? ""
        return " (\(TokenError.quoted(error, limit: 40))\(description))"
    }
}
