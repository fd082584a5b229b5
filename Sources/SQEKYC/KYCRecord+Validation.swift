import RelayCore

#if canImport(Glibc)
import Glibc
#endif

/// Validation before anything is queued or sent (docs/design.md §8). Errors are in the partner's shape
/// and name the field; they never echo the value, which is personal data.
extension KYCRecord {
    public static let maxFullNameLength = 200
    public static let maxClientIDLength = 128
    public static let nikLength = 16
    /// Digits of a `62…` number, country code included.
    public static let phoneDigits = 10...15
    /// Largest request body `parse` accepts.
    public static let maxBodyBytes = 16 * 1024

    /// Checks and normalizes every field. `nowMillis` decides what "a date in the past" means
    /// (the date of birth must be before today, UTC).
    public static func validated(
        clientID: String, phoneNumber: String, fullName: String, nik: String,
        dateOfBirth: String, email: String, nowMillis: Int64
    ) throws(PartnerError) -> KYCRecord {
        let client = clientID.trimmingASCIIWhitespace()
        guard !client.isEmpty else { throw field("client_id", "is required") }
        guard client.utf8.count <= maxClientIDLength,
            client.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else {
            throw field("client_id", "must be 1 to \(maxClientIDLength) visible ASCII characters")
        }
        guard let phone = normalizePhone(phoneNumber) else {
            throw field("phone_number", "must be an Indonesian number: 62…, +62… or 08…, 10 to 15 digits")
        }
        let name = fullName.trimmingASCIIWhitespace()
        guard !name.isEmpty else { throw field("full_name", "is required") }
        guard name.count <= maxFullNameLength else { throw field("full_name", "must be at most \(maxFullNameLength) characters") }
        guard !name.unicodeScalars.contains(where: isControl) else {
            throw field("full_name", "must not contain control characters")
        }
        let n = nik.trimmingASCIIWhitespace()
        guard n.utf8.count == nikLength, n.utf8.allSatisfy(isDigit) else {
            throw field("nik", "must be \(nikLength) digits")
        }
        let dob = dateOfBirth.trimmingASCIIWhitespace()
        guard let date = parseDate(dob) else { throw field("date_of_birth", "must be a date YYYY-MM-DD") }
        guard isRealDate(date), date >= (1900, 1, 1), date < today(nowMillis) else {
            throw field("date_of_birth", "must be a real date in the past")
        }
        guard let mail = Recipient.normalizeEmail(email) else { throw field("email", "must be an email address") }
        return KYCRecord(clientID: client, phoneNumber: phone, fullName: name, nik: n, dateOfBirth: dob, email: mail)
    }

    /// Parses and validates a JSON request body (admin `POST /v1/kyc`, `otp-relay kyc store`).
    /// `client_id` may be left out: `defaultClientID` (our configured ClientID) is used. Unknown
    /// fields are refused so a misspelt one is not silently dropped.
    public static func parse(_ body: [UInt8], defaultClientID: String?, nowMillis: Int64) throws(PartnerError) -> KYCRecord {
        guard body.count <= maxBodyBytes else { throw PartnerError.payloadTooLarge }
        guard let value = try? JSONParser.parse(body), case .object(let o) = value else {
            throw PartnerError.invalidRequest("The request body must be a JSON object")
        }
        for key in o.keys.sorted() where !fieldNames.contains(key) {
            throw PartnerError.invalidRequest("Field \(JSONText.quote(String(key.prefix(64)))) is not a KYC field")
        }
        var values: [String: String] = [:]
        for name in fieldNames {
            switch o[name] {
            case nil, .null?:
                if name == "client_id", let d = defaultClientID { values[name] = d } else { throw field(name, "is required") }
            case .string(let s)?:
                values[name] = s
            default:
                throw field(name, "must be a string")
            }
        }
        return try validated(
            clientID: values["client_id"]!, phoneNumber: values["phone_number"]!,
            fullName: values["full_name"]!, nik: values["nik"]!,
            dateOfBirth: values["date_of_birth"]!, email: values["email"]!, nowMillis: nowMillis)
    }

    /// `62…` digits from `62…`, `+62…` or `08…` (spaces, `-`, `.`, parentheses allowed), or nil
    /// when it is not an Indonesian number of 10 to 15 digits.
    public static func normalizePhone(_ raw: String) -> String? {
        guard let e164 = Recipient.normalizePhone(raw, defaultCountryCode: "62"), e164.hasPrefix("+62") else { return nil }
        let digits = String(e164.dropFirst())
        // A national number never starts with the trunk 0 once the country code is there.
        guard !digits.dropFirst(2).hasPrefix("0") else { return nil }
        return phoneDigits.contains(digits.utf8.count) ? digits : nil
    }

    static func field(_ name: String, _ problem: String) -> PartnerError {
        PartnerError.invalidRequest("Field \"\(name)\" \(problem)")
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// C0/C1 controls and line or paragraph separators: nothing a name needs, and each can
    /// break a log line, a header or a form.
    private static func isControl(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// (year, month, day) of `YYYY-MM-DD`, or nil when the text has another shape.
    static func parseDate(_ s: String) -> (Int, Int, Int)? {
        let b = Array(s.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        func number(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard isDigit(b[i]) else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
        return (y, m, d)
    }

    static func isRealDate(_ date: (Int, Int, Int)) -> Bool {
        let (y, m, d) = date
        guard (1...12).contains(m), d >= 1 else { return false }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return d <= days
    }

    /// Today's UTC date at `nowMillis`.
    static func today(_ nowMillis: Int64) -> (Int, Int, Int) {
        var t = time_t(nowMillis / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        return (Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
    }
}
