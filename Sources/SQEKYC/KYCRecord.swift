import RelayCore

/// One person's approved KYC data as SQEKYC stores it (`/v1/common-kyc`): who the BU is
/// (`client_id`), the phone number in `62…` form, name, NIK, date of birth (`YYYY-MM-DD`) and email.
///
/// Every field is personal data: `description` shows only the masked phone number, so a record
/// that reaches a log by mistake leaks nothing. Build one with `validated(…)` or `parse(…)`
/// (KYCRecord+Validation) before anything is queued or sent; the memberwise initializer does not
/// validate.
public struct KYCRecord: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var clientID: String
    /// Digits only, starting with the country code `62`.
    public var phoneNumber: String
    public var fullName: String
    /// Nomor Induk Kependudukan: 16 digits.
    public var nik: String
    /// `YYYY-MM-DD`.
    public var dateOfBirth: String
    public var email: String
    /// SQEKYC's id of the stored record (records read back only).
    public var id: String?
    /// When SQEKYC stored it, as SQEKYC writes it (records read back only).
    public var createdAt: String?

    /// The request body fields, in the partner document's order.
    public static let fieldNames = ["client_id", "phone_number", "full_name", "nik", "date_of_birth", "email"]

    public init(
        clientID: String, phoneNumber: String, fullName: String, nik: String, dateOfBirth: String,
        email: String, id: String? = nil, createdAt: String? = nil
    ) {
        self.clientID = clientID
        self.phoneNumber = phoneNumber
        self.fullName = fullName
        self.nik = nik
        self.dateOfBirth = dateOfBirth
        self.email = email
        self.id = id
        self.createdAt = createdAt
    }

    /// The phone number as E.164 (`+62…`), the form the outbox hashes and masks recipients in.
    public var e164Phone: String { "+" + phoneNumber }

    /// `+62812****7890`: what logs, views and the admin jobs API show.
    public var maskedPhone: String { Recipient.mask(e164Phone) }

    /// The `POST /v1/common-kyc` body: `{client_id, phone_number, full_name, nik, date_of_birth, email}`.
    public var requestJSON: String {
        let values = [clientID, phoneNumber, fullName, nik, dateOfBirth, email]
        return "{"
            + zip(Self.fieldNames, values).map { "\(JSONText.quote($0)):\(JSONText.quote($1))" }
            .joined(separator: ",") + "}"
    }

    /// The record as JSON for operators (CLI `kyc get`, admin `GET /v1/kyc`): the request fields,
    /// then `id` and `created_at` when SQEKYC gave them.
    public var json: String {
        var text = String(requestJSON.dropLast())
        if let id { text += ",\"id\":\(JSONText.quote(id))" }
        if let createdAt { text += ",\"created_at\":\(JSONText.quote(createdAt))" }
        return text + "}"
    }

    /// Reads a record from a JSON object (an outbox payload we wrote, or SQEKYC's `data`) without
    /// validating the values; nil when a field is missing or not a string. Unknown fields are
    /// ignored here: SQEKYC may add some.
    public static func decode(_ object: JSONValue) -> KYCRecord? {
        guard case .object(let o) = object else { return nil }
        var v: [String] = []
        for name in fieldNames {
            guard let s = o[name]?.stringValue else { return nil }
            v.append(s)
        }
        return KYCRecord(
            clientID: v[0], phoneNumber: v[1], fullName: v[2], nik: v[3], dateOfBirth: v[4], email: v[5],
            id: o["id"]?.scalarText, createdAt: o["created_at"]?.scalarText)
    }

    /// `decode` on JSON text; nil when it is not a JSON object of the right shape.
    public static func decode(_ bytes: [UInt8]) -> KYCRecord? {
        guard let value = try? JSONParser.parse(bytes) else { return nil }
        return decode(value)
    }

    public var description: String { "KYCRecord(phone_number: \(maskedPhone))" }
    public var debugDescription: String { description }
    /// Debuggers and `dump` see the masked phone only.
    public var customMirror: Mirror { Mirror(self, children: ["phone_number": maskedPhone]) }
}

extension JSONValue {
    /// A string, or a number's source text (an `id` may come as either).
    var scalarText: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n
        default: return nil
        }
    }
}
