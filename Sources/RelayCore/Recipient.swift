/// Normalization and validation of recipients (docs/design.md §3). Errors name the field, never echo the value.
public enum Recipient {
    /// Normalizes a phone number to E.164 (`+` and 8–15 digits).
    /// Strips spaces, `-`, `.`, `(`, `)`; a leading trunk `0` means `defaultCountryCode`;
    /// a leading country code without `+` gets one. Operator prefixes are not whitelisted.
    public static func normalizePhone(_ raw: String, defaultCountryCode: String) -> String? {
        var digits: [UInt8] = []
        var plus = false
        var sawAny = false
        for b in raw.utf8 {
            switch b {
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"):
                continue
            case UInt8(ascii: "+"):
                if sawAny || plus { return nil }
                plus = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits.append(b)
                sawAny = true
            default:
                return nil
            }
            if digits.count > 20 { return nil }
        }
        guard !digits.isEmpty else { return nil }
        var national: [UInt8]
        if plus {
            national = digits
        } else if digits[0] == UInt8(ascii: "0") {
            // Trunk prefix: a second 0 is an international prefix we do not guess at.
            guard digits.count > 1, digits[1] != UInt8(ascii: "0") else { return nil }
            national = Array(defaultCountryCode.utf8) + digits.dropFirst()
        } else {
            national = digits
        }
        guard national.first != UInt8(ascii: "0"), (8...15).contains(national.count) else { return nil }
        return "+" + String(decoding: national, as: UTF8.self)
    }

    /// Validates an email address for use in an SMTP envelope and a To header.
    /// One `@`, local part ≤ 64, a domain with a dot, total ≤ 254, no whitespace,
    /// control characters or `<>(),;:"\[]`. The domain is lower-cased.
    public static func normalizeEmail(_ raw: String) -> String? {
        let s = raw.trimmingASCIIWhitespace()
        let bytes = Array(s.utf8)
        guard !bytes.isEmpty, bytes.count <= 254 else { return nil }
        var at = -1
        for (i, b) in bytes.enumerated() {
            if b <= 0x20 || b == 0x7F { return nil }
            if b >= 0x80 { return nil }  // no SMTPUTF8: ASCII addresses only
            switch b {
            case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "("), UInt8(ascii: ")"),
                UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\""),
                UInt8(ascii: "\\"), UInt8(ascii: "["), UInt8(ascii: "]"):
                return nil
            case UInt8(ascii: "@"):
                if at >= 0 { return nil }
                at = i
            default: break
            }
        }
        guard at > 0, at <= 64, at < bytes.count - 1 else { return nil }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        if local.first == UInt8(ascii: ".") || local.last == UInt8(ascii: ".") { return nil }
        guard domain.contains(UInt8(ascii: ".")) else { return nil }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty, label.count <= 63 else { return nil }
            guard label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else { return nil }
            for c in label {
                let ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "-")
                if !ok { return nil }
            }
        }
        if local.contains(where: { $0 == UInt8(ascii: ".") }) {
            var prevDot = false
            for c in local { if c == UInt8(ascii: ".") { if prevDot { return nil }; prevDot = true } else { prevDot = false } }
        }
        return String(decoding: local, as: UTF8.self) + "@" + String(decoding: domain, as: UTF8.self).lowercased()
    }

    /// Normalizes a recipient for a channel, or nil when it is not valid for it.
    public static func normalize(_ raw: String, for channel: Channel, defaultCountryCode: String) -> String? {
        channel.isPhone ? normalizePhone(raw, defaultCountryCode: defaultCountryCode) : normalizeEmail(raw)
    }

    /// Masks a normalized recipient for logs, views and the status page:
    /// `+6284512340987` → `+62845****0987`, `john@example.com` → `jo***@example.com`.
    /// Normalized recipients are ASCII and are masked on their bytes; anything else by characters.
    public static func mask(_ recipient: String) -> String {
        let ascii = recipient.utf8.withContiguousStorageIfAvailable { b -> String? in
            b.allSatisfy { $0 < 0x80 } ? maskASCII(b) : nil
        }
        return (ascii ?? nil) ?? maskCharacters(recipient)
    }

    private static func maskASCII(_ b: UnsafeBufferPointer<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        if let at = b.firstIndex(of: UInt8(ascii: "@")) {
            out.append(contentsOf: b[..<min(at, min(2, max(1, at - 1)))])
            out.append(contentsOf: "***".utf8)
            out.append(contentsOf: b[at...])
        } else if b.count < 10 {
            out.append(contentsOf: b.prefix(3))
            out.append(contentsOf: "****".utf8)
        } else {
            out.append(contentsOf: b.prefix(min(6, b.count - 8)))
            out.append(contentsOf: "****".utf8)
            out.append(contentsOf: b.suffix(4))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The same rules counted in characters.
    static func maskCharacters(_ recipient: String) -> String {
        if let at = recipient.firstIndex(of: "@") {
            let local = recipient[..<at]
            return String(local.prefix(min(2, max(1, local.count - 1)))) + "***" + recipient[at...]
        }
        let chars = Array(recipient)
        guard chars.count >= 10 else { return String(chars.prefix(3)) + "****" }
        // Hide at least four digits: `+` and up to five leading digits, then the last four.
        return String(chars.prefix(min(6, chars.count - 8))) + "****" + String(chars.suffix(4))
    }
}
