import RelayCore

/// How an API guarded by SIMAS-ID tokens answers a refused request (RFC 6750 §3). The challenge
/// names the error class only: which check failed goes to the log, not to the caller.
extension TokenError {
    /// 401 bad or missing token, 403 valid but not allowed, 503 keys or userinfo unavailable.
    public var httpStatus: Int {
        if isUnavailable { return 503 }
        if isForbidden { return 403 }
        return 401
    }

    /// `WWW-Authenticate` for a 401 or 403; nil for 503.
    public func bearerChallenge(realm: String = "otp-relay") -> String? {
        switch httpStatus {
        case 401: return "Bearer realm=\(JSONValue.string(realm).jsonText), error=\"invalid_token\""
        case 403: return "Bearer realm=\(JSONValue.string(realm).jsonText), error=\"insufficient_scope\""
        default: return nil
        }
    }

    /// The challenge when no token was sent at all (RFC 6750 §3.1: no error code).
    public static func missingTokenChallenge(realm: String = "otp-relay") -> String {
        "Bearer realm=\(JSONValue.string(realm).jsonText)"
    }
}

extension TokenVerifier {
    /// The token in an `Authorization: Bearer <token>` header value (scheme case-insensitive),
    /// or nil when the header is absent, another scheme, or not a single token68.
    public static func bearerToken(fromAuthorization header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1]
        guard token.utf8.allSatisfy(UserinfoClient.isToken68) else { return nil }
        return String(token)
    }
}
