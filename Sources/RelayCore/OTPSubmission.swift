/// A validated webhook body: `{"identifier": …, "otp": …, "channel": …}` (extra fields ignored).
/// Validation errors name the field and never echo a value.
public struct OTPSubmission: Sendable, Equatable {
    public let channel: Channel
    /// E.164 for phone channels, the address (domain lower-cased) for email.
    public let recipient: String
    public let otp: String

    private static let reader = JSONObjectReader(fields: ["identifier", "otp", "channel"])

    /// Decodes and validates a body. Throws `PartnerError.invalidRequest` naming the field.
    /// A null field counts as missing.
    public static func parse(_ body: [UInt8], defaultCountryCode: String) throws(PartnerError) -> OTPSubmission {
        guard !body.isEmpty else { throw .invalidRequest("The request body must be a JSON object") }
        let members: [JSONObjectReader.Value?]
        do throws(JSONObjectReader.Failure) {
            members = try reader.read(body)
        } catch .invalid {
            throw .invalidRequest("The request body is not valid JSON")
        } catch .duplicateMember {
            throw .invalidRequest("The request body gives a field more than once")
        } catch {
            throw .invalidRequest("The request body must be a JSON object")
        }

        let channelText = try field(members[2], "channel")
        guard let channel = Channel(partnerValue: channelText) else {
            throw .invalidRequest("Field \"channel\" must be one of email, sms, whatsapp")
        }
        let otp = try field(members[1], "otp")
        guard (4...10).contains(otp.utf8.count), otp.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw .invalidRequest("Field \"otp\" must be 4 to 10 digits")
        }
        let identifier = try field(members[0], "identifier")
        guard identifier.utf8.count <= 320,
            let recipient = Recipient.normalize(identifier, for: channel, defaultCountryCode: defaultCountryCode)
        else {
            throw .invalidRequest(
                channel.isPhone
                    ? "Field \"identifier\" must be a phone number (E.164, or national with a leading 0) for channel \(channel.rawValue)"
                    : "Field \"identifier\" must be an email address for channel email")
        }
        return OTPSubmission(channel: channel, recipient: recipient, otp: otp)
    }

    private static func field(_ value: JSONObjectReader.Value?, _ name: String) throws(PartnerError) -> String {
        switch value {
        case .string(let s)?: return s
        case .other?: throw .invalidRequest("Field \"\(name)\" must be a string")
        case .null?, nil: throw .invalidRequest("Field \"\(name)\" is required")
        }
    }
}
