import RelayCore
import SIMASID

/// The `simas_id` section: how admin bearer tokens are validated and who may use the admin API.
/// Absent: the admin API accepts admin BasicAuth only.
public struct SIMASIDSettings: Sendable {
    public var verifier: TokenVerifierConfiguration
    public var policy: TokenAuthorizationPolicy
    /// How the auth listener judges tokens (the admin API always verifies locally).
    public var verifyMode: TokenVerifyMode = .local
    public var userinfoURL: String?
}

extension Configuration {
    static func parseSIMASID(_ r: inout ConfigReader) throws -> SIMASIDSettings? {
        guard var s = try r.object("simas_id") else { return nil }
        var env: SIMASIDEnvironment?
        if let e = try s.string("environment") {
            guard let v = SIMASIDEnvironment(rawValue: e) else {
                throw ConfigError(key: s.name("environment"), "must be staging or production")
            }
            env = v
        }
        guard let issuer = try s.string("issuer"), issuer.hasPrefix("https://") || issuer.hasPrefix("http://") else {
            throw ConfigError(key: s.name("issuer"), "is required: the exact iss of SIMAS-ID tokens, e.g. https://…/realms/simas-id")
        }
        guard let client = try s.string("client_id"), !client.isEmpty else {
            throw ConfigError(key: s.name("client_id"), "is required (nanovest or siminvest)")
        }
        let jwks = try s.string("jwks_uri") ?? env?.jwksURI
        guard let jwks else { throw ConfigError(key: s.name("jwks_uri"), "is required when environment is not set") }
        var v = TokenVerifierConfiguration(issuer: issuer, clientID: client, jwksURI: jwks)
        if let azp = try s.bool("require_azp") { v.requireAuthorizedParty = azp }
        if let l = try s.int("leeway_seconds", in: 0...300) { v.leewaySeconds = Int64(l) }
        let (mode, userinfoURL) = try parseVerifyMode(&s, environment: env, verifier: &v)
        var policy = TokenAuthorizationPolicy()
        if let subs = try s.strings("admin_subjects") { policy.allowedSubjects = Set(subs) }
        if let roles = try s.strings("admin_roles") {
            for (i, text) in roles.enumerated() {
                guard let role = TokenAuthorizationPolicy.Role(parsing: text) else {
                    throw ConfigError(key: "\(s.name("admin_roles"))[\(i)]", "must be realm:NAME or client:CLIENT:NAME")
                }
                policy.anyOfRoles.insert(role)
            }
        }
        if policy.allowedSubjects.isEmpty && policy.anyOfRoles.isEmpty {
            throw ConfigError(
                key: s.name("admin_subjects"), "admin_subjects or admin_roles is required: a valid login alone never opens the admin API")
        }
        try s.rejectUnknownKeys()
        return SIMASIDSettings(verifier: v, policy: policy, verifyMode: mode, userinfoURL: userinfoURL)
    }
}
