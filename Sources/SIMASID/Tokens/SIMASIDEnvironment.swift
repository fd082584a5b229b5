/// The SIMAS-ID environments named in the partner document, with their published endpoints.
///
/// The issuer (`iss`) is deliberately not a preset: the partner document only shows
/// `https://xxx/realms/simas-id`, so it must be configured from what SIMAS-ID confirms.
public enum SIMASIDEnvironment: String, Sendable, CaseIterable {
    /// "Staging" for the certs URI, "Sandbox" for userinfo in the partner document: the same host.
    case staging
    case production

    /// The API base URL (`{{BASE_URL}}` in the partner document).
    public var baseURL: String {
        switch self {
        case .staging: return "https://api-stg.simas-id.com"
        case .production: return "https://api.simas-id.com"
        }
    }

    /// The JWKS ("JKWS URI" in the partner document).
    public var jwksURI: String { baseURL + "/v1/oidc/certs" }

    /// The OIDC userinfo endpoint, the slower server-side alternative to local validation.
    public var userinfoURL: String { baseURL + "/v1/oidc/userinfo" }
}

/// Client ids the partner document assigns to the business units.
public enum SIMASIDClientID {
    public static let nanovest = "nanovest"
    public static let siminvest = "siminvest"
}
