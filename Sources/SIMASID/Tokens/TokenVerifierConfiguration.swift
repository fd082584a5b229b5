/// What a valid SIMAS-ID access token looks like for this service.
public struct TokenVerifierConfiguration: Sendable, Equatable {
    public static let defaultLeewaySeconds: Int64 = 30

    /// The exact `iss` (no default: the partner document does not give it, see `SIMASIDEnvironment`).
    public var issuer: String
    /// Our client id, which `aud` must contain (`SIMASIDClientID.nanovest` or `.siminvest`).
    public var clientID: String
    /// Where the signing keys are published.
    public var jwksURI: String
    /// Require `azp` to equal `clientID` (the partner document calls it optional; on by default).
    public var requireAuthorizedParty: Bool
    /// Clock skew allowed on `exp`, `nbf` and `iat`.
    public var leewaySeconds: Int64
    public var limits: TokenLimits
    public var jwks: JWKSCachePolicy

    public init(
        issuer: String, clientID: String, jwksURI: String, requireAuthorizedParty: Bool = true,
        leewaySeconds: Int64 = defaultLeewaySeconds, limits: TokenLimits = TokenLimits(),
        jwks: JWKSCachePolicy = JWKSCachePolicy()
    ) {
        self.issuer = issuer
        self.clientID = clientID
        self.jwksURI = jwksURI
        self.requireAuthorizedParty = requireAuthorizedParty
        self.leewaySeconds = leewaySeconds
        self.limits = limits
        self.jwks = jwks
    }

    /// The environment's JWKS URI; issuer and client id still have to be given.
    public init(environment: SIMASIDEnvironment, issuer: String, clientID: String) {
        self.init(issuer: issuer, clientID: clientID, jwksURI: environment.jwksURI)
    }
}
