import SIMASID

/// How `simas_id` tokens are judged on the auth listener: locally (JWKS, RS256, claims) or by
/// asking SIMAS-ID's userinfo endpoint for every token not in the cache.
public enum TokenVerifyMode: String, Sendable, CaseIterable {
    case local
    case userinfo
}

/// The token gateway (the third listener): `/v1/auth/verify` for nginx `auth_request`, Envoy
/// `ext_authz` and Traefik ForwardAuth, `/v1/auth/introspect` (RFC 7662) and `/v1/me/kyc`.
/// Off unless `listen` is set (`auth_listen` / `OTP_RELAY_AUTH_LISTEN`).
public struct AuthGatewaySettings: Sendable {
    public static let defaultPort = 9191
    public static let defaultUserinfoCacheTTL: Duration = .seconds(60)
    public static let defaultUserinfoCacheMaxEntries = 10_000
    public static let defaultTokenCacheMaxEntries = 10_000
    public static let defaultKYCPerSubjectMax = 10
    public static let defaultKYCPerSubjectWindow: Duration = .seconds(60)

    /// nil: the listener is off.
    public var listen: ListenAddress?
    /// Roles every token must hold on paths no `routes` prefix matches (`realm:NAME` or
    /// `client:CLIENT:NAME`); empty: any valid token passes.
    public var requiredRoles: [TokenAuthorizationPolicy.Role] = []
    /// Per `X-Original-URI` prefix: the longest matching prefix's roles replace the global ones.
    public var routes: [(prefix: String, roles: [TokenAuthorizationPolicy.Role])] = []
    /// Who may call `/v1/auth/introspect` (BasicAuth of their own); empty: introspection is off.
    public var introspectionCredentials: [StoredCredential] = []
    /// Userinfo mode: a positive answer is reused until min(token exp, now + this).
    public var userinfoCacheTTL = defaultUserinfoCacheTTL
    public var userinfoCacheMaxEntries = defaultUserinfoCacheMaxEntries
    /// Local mode: tokens remembered as verified (by SHA-256, until `exp`, for the current key
    /// set) so a repeated token skips RSA; 0 turns the cache off.
    public var tokenCacheMaxEntries = defaultTokenCacheMaxEntries
    /// `/v1/me/kyc` calls per token subject within the window.
    public var kycPerSubjectMax = defaultKYCPerSubjectMax
    public var kycPerSubjectWindow = defaultKYCPerSubjectWindow

    public init() {}

    /// The roles a request for this (normalized) path needs.
    func roles(forPath path: String) -> [TokenAuthorizationPolicy.Role] {
        var best: (length: Int, roles: [TokenAuthorizationPolicy.Role])?
        for r in routes where path.hasPrefix(r.prefix) && r.prefix.utf8.count > (best?.length ?? -1) {
            best = (r.prefix.utf8.count, r.roles)
        }
        return best?.roles ?? requiredRoles
    }
}
