import RelayCore

/// Why a SIMAS-ID access token was refused: which check failed (`check`, stable and
/// machine-readable) and a human `detail` that never contains the token itself.
public struct TokenError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One failed check. A struct rather than an enum so checks can be added without breaking
    /// callers that switch over them; compare with `==`.
    public struct Check: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        // Shape
        public static let tokenTooLarge = Check(rawValue: "token_too_large")
        public static let malformedToken = Check(rawValue: "malformed_token")
        public static let malformedBase64URL = Check(rawValue: "malformed_base64url")
        public static let malformedHeader = Check(rawValue: "malformed_header")
        public static let malformedPayload = Check(rawValue: "malformed_payload")
        // Header
        public static let algorithmNotAllowed = Check(rawValue: "algorithm_not_allowed")
        public static let unsupportedCritical = Check(rawValue: "unsupported_crit")
        public static let headerType = Check(rawValue: "header_typ")
        public static let missingKeyID = Check(rawValue: "missing_kid")
        // Keys
        public static let unknownKeyID = Check(rawValue: "unknown_kid")
        public static let keyTooSmall = Check(rawValue: "key_too_small")
        public static let keyNotUsable = Check(rawValue: "key_not_usable")
        public static let keysUnavailable = Check(rawValue: "jwks_unavailable")
        public static let signatureInvalid = Check(rawValue: "signature_invalid")
        // Claims
        public static let issuer = Check(rawValue: "iss")
        public static let audience = Check(rawValue: "aud")
        public static let authorizedParty = Check(rawValue: "azp")
        public static let missingExpiry = Check(rawValue: "exp_missing")
        public static let expired = Check(rawValue: "expired")
        public static let notYetValid = Check(rawValue: "nbf")
        public static let issuedInFuture = Check(rawValue: "iat")
        public static let tokenType = Check(rawValue: "typ")
        // Userinfo
        public static let userinfoUnauthorized = Check(rawValue: "userinfo_unauthorized")
        public static let insufficientScope = Check(rawValue: "insufficient_scope")
        public static let userinfoForbidden = Check(rawValue: "userinfo_forbidden")
        public static let userinfoUnavailable = Check(rawValue: "userinfo_unavailable")
        // Authorization (after a token is valid)
        public static let notAuthorized = Check(rawValue: "not_authorized")
    }

    public let check: Check
    public let detail: String

    public init(_ check: Check, _ detail: String) {
        self.check = check
        self.detail = detail
    }

    public var description: String { "\(check.rawValue): \(detail)" }

    /// A value from a token or a key set, JSON-quoted and cut short, for a `detail`: never let a
    /// caller's bytes make a log line long.
    static func quoted(_ s: String, limit: Int = 64) -> String {
        s.count <= limit ? JSONValue.string(s).jsonText : JSONValue.string(String(s.prefix(limit)) + "…").jsonText
    }

    /// True when the token could not be judged because a dependency failed (no keys, userinfo
    /// down) rather than because it is bad: an API answers 503 for these and 401 otherwise.
    public var isUnavailable: Bool {
        check == .keysUnavailable || check == .userinfoUnavailable
    }

    /// True when the token is valid but its holder may not do this (answer 403).
    public var isForbidden: Bool {
        check == .notAuthorized || check == .insufficientScope || check == .userinfoForbidden
    }
}
