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
    public func trimmingASCIIWhitespace() -> String {
        let ws: Set<Character> = [" ", "\t", "\r", "\n"]
        guard let first = firstIndex(where: { !ws.contains($0) }) else { return "" }
        let last = lastIndex(where: { !ws.contains($0) })!
        return String(self[first...last])
    }
}
