import RelayCore

/// An access token whose signature and claims passed every check. `claims` holds the whole
/// payload; the properties below are the registered claims already checked, plus the Keycloak
/// claims authorization looks at.
public struct VerifiedToken: Sendable, Equatable {
    public let keyID: String
    public let claims: JSONValue
    public let issuer: String
    public let audience: [String]
    public let subject: String?
    public let authorizedParty: String?
    /// NumericDate seconds.
    public let expiresAt: Double
    public let issuedAt: Double?
    public let notBefore: Double?

    public var preferredUsername: String? { claims["preferred_username"]?.stringValue }

    /// The space-separated `scope` claim.
    public var scopes: [String] {
        (claims["scope"]?.stringValue ?? "").split(separator: " ").map(String.init)
    }

    /// Keycloak realm roles: `realm_access.roles`.
    public var realmRoles: [String] {
        Self.strings(claims["realm_access"]?["roles"])
    }

    /// Keycloak client roles: `resource_access.<client>.roles`.
    public func clientRoles(_ client: String) -> [String] {
        Self.strings(claims["resource_access"]?[client]?["roles"])
    }

    private static func strings(_ v: JSONValue?) -> [String] {
        v?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}
