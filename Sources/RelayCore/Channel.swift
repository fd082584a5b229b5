/// A delivery channel, as SIMAS-ID names it in the webhook body.
public enum Channel: String, Sendable, CaseIterable, Codable {
    case email
    case sms
    case whatsapp

    /// Parses the partner's value: trimmed, case-insensitive.
    public init?(partnerValue: String) {
        let v = partnerValue.trimmingASCIIWhitespace().lowercased()
        guard let c = Channel(rawValue: v) else { return nil }
        self = c
    }

    /// Phone channels carry an E.164 number; email carries an address.
    public var isPhone: Bool { self != .email }
}

extension String {
    /// Trims ASCII space, tab, CR and LF (the JSON whitespace set), without Foundation.
    /// Works on scalars: as Characters, "\r\n" is one grapheme that no set of single scalars matches.
    public func trimmingASCIIWhitespace() -> String {
        let scalars = unicodeScalars
        func isWS(_ u: Unicode.Scalar) -> Bool { u == " " || u == "\t" || u == "\r" || u == "\n" }
        guard let first = scalars.firstIndex(where: { !isWS($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isWS($0) })!
        return String(scalars[first...last])
    }
}
