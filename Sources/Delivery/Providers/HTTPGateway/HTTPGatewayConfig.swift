import RelayCore
import Transport

/// Settings of an `http` provider: one request template for any SMS/WhatsApp gateway.
///
/// Placeholders, usable in the URL and the body: `{to}` (E.164), `{to_digits}`, `{text}`,
/// `{otp}`, `{job_id}`, `{channel}`, `{minutes}`, `{app}`. Each value is escaped for where it
/// lands: percent-encoded in the URL and in form bodies, JSON-string-escaped in JSON bodies (where
/// placeholders must sit inside string literals), so no value can add structure.
/// Built with the memberwise initializer (by the delivery configuration, and in tests).
public struct HTTPGatewayConfig: Sendable {
    public enum BodyKind: String, Sendable {
        /// `Content-Type: application/json`
        case json
        /// `Content-Type: application/x-www-form-urlencoded`
        case form
    }

    public static let placeholderNames: Set<String> = ["to", "to_digits", "text", "otp", "job_id", "channel", "minutes", "app"]

    public var name: String = "http"
    public var method: String = "POST"
    public var url: String
    /// Fixed headers (API keys go here); no placeholders.
    public var headers: [(String, String)] = []
    public var bodyKind: BodyKind = .json
    public var bodyTemplate: String
    public var basicAuth: HTTPClientRequest.BasicAuth?
    /// A dot path to the message id in a JSON response (`data.id`, `messages.0.id`).
    public var messageIDPath: String?
    public var channels: Set<Channel> = [.sms, .whatsapp]
    public var http: HTTPClientConfiguration = HTTPClientConfiguration()
    public var clock: any WallClock = SystemClock()

    /// Checks placeholders (known names only; in JSON bodies only inside string literals) and
    /// that a JSON body template renders to valid JSON.
    public func validate() throws(ProviderConfigError) {
        for (field, template) in [("url", url), ("body_template", bodyTemplate)] {
            // Identifier-like names only: `{}` and `{"k": 1}` are JSON, not placeholders.
            for p in TemplateRenderer.placeholders(in: template)
            where !p.isEmpty && p.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
                guard HTTPGatewayConfig.placeholderNames.contains(p) else {
                    throw ProviderConfigError(provider: name, field: field, problem: "unknown placeholder {\(p)}")
                }
            }
        }
        guard bodyKind == .json else { return }
        guard HTTPGatewayConfig.jsonPlaceholdersAreInStrings(bodyTemplate) else {
            throw ProviderConfigError(provider: name, field: "body_template", problem: "placeholders must be inside JSON strings")
        }
        let sample = TemplateRenderer.render(
            bodyTemplate, values: Dictionary(uniqueKeysWithValues: HTTPGatewayConfig.placeholderNames.map { ($0, "x") }))
        guard ProviderJSON.isValidJSON(Array(sample.utf8)) else {
            throw ProviderConfigError(provider: name, field: "body_template", problem: "not valid JSON")
        }
    }

    /// True when every known `{placeholder}` occurs inside a JSON string literal.
    static func jsonPlaceholdersAreInStrings(_ template: String) -> Bool {
        let chars = Array(template)
        var inString = false
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if inString && c == "\\" { i += 2; continue }
            if c == "\"" { inString.toggle() }
            if c == "{", let close = chars[(i + 1)...].firstIndex(of: "}"),
                placeholderNames.contains(String(chars[(i + 1)..<close]))
            {
                if !inString { return false }
                i = close + 1
                continue
            }
            i += 1
        }
        return true
    }
}
