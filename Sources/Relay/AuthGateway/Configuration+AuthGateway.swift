import RelayCore
import SIMASID

/// The token gateway's keys:
///
///     "auth_listen": "127.0.0.1:9191",
///     "auth_gateway": {"required_roles": ["realm:bu-user"],
///                      "routes": [{"prefix": "/admin/", "required_roles": ["client:nanovest:admin"]}],
///                      "introspection_credentials": [{"username": "…", "password_sha256": "…"}],
///                      "userinfo_cache_ttl_seconds": 60, "userinfo_cache_max_entries": 10000,
///                      "token_cache_max_entries": 10000,
///                      "kyc_per_subject_max": 10, "kyc_per_subject_window_seconds": 60}
///
/// and in `simas_id`: `"verify_mode": "local" | "userinfo"`, `"userinfo_url"`,
/// `"jwks_refresh_cooldown_seconds"`. `OTP_RELAY_AUTH_LISTEN` wins over `auth_listen`; a bare
/// port or `:port` listens on 127.0.0.1.
extension Configuration {
    mutating func applyAuthGateway(_ r: inout ConfigReader) throws {
        if let v = try r.string("auth_listen") { authGateway.listen = try Self.authAddress(v, r.name("auth_listen")) }
        guard var s = try r.object("auth_gateway") else { return }
        var g = authGateway
        if let v = try s.strings("required_roles") { g.requiredRoles = try Self.roles(v, s.name("required_roles")) }
        if let list = try s.objects("routes") {
            g.routes = try list.map { item in
                var item = item
                guard let prefix = try item.string("prefix"), prefix.hasPrefix("/") else {
                    throw ConfigError(key: item.name("prefix"), "is required and starts with /")
                }
                let roles = try Self.roles(try item.strings("required_roles") ?? [], item.name("required_roles"))
                try item.rejectUnknownKeys()
                return (prefix, roles)
            }
        }
        if let list = try s.objects("introspection_credentials") { g.introspectionCredentials = try list.map(Self.credential) }
        if let v = try s.duration("userinfo_cache_ttl_seconds", in: 0...3_600) { g.userinfoCacheTTL = v }
        if let v = try s.int("userinfo_cache_max_entries", in: 0...1_000_000) { g.userinfoCacheMaxEntries = v }
        if let v = try s.int("token_cache_max_entries", in: 0...1_000_000) { g.tokenCacheMaxEntries = v }
        if let v = try s.int("kyc_per_subject_max", in: 1...10_000) { g.kycPerSubjectMax = v }
        if let v = try s.duration("kyc_per_subject_window_seconds", in: 1...86_400) { g.kycPerSubjectWindow = v }
        try s.rejectUnknownKeys()
        authGateway = g
    }

    mutating func applyAuthGatewayEnvironment(_ env: [String: String]) throws {
        if let v = env["OTP_RELAY_AUTH_LISTEN"], !v.isEmpty {
            authGateway.listen = try Self.authAddress(v, "OTP_RELAY_AUTH_LISTEN")
        }
    }

    /// Checked once file and environment are applied: the gateway needs the `simas_id` section.
    func checkAuthGateway() throws {
        guard authGateway.listen != nil, simasID == nil else { return }
        throw ConfigError(key: "auth_listen", "needs the simas_id section (issuer, client_id, jwks_uri or environment)")
    }

    /// `host:port`, or `port` / `:port` on loopback.
    static func authAddress(_ v: String, _ key: String) throws -> ListenAddress {
        let bare = v.hasPrefix(":") ? String(v.dropFirst()) : v
        if let p = Int(bare), (0...65535).contains(p) { return ListenAddress(host: "127.0.0.1", port: p) }
        return try address(v, key)
    }

    static func roles(_ texts: [String], _ key: String) throws -> [TokenAuthorizationPolicy.Role] {
        try texts.enumerated().map { i, text in
            guard let role = TokenAuthorizationPolicy.Role(parsing: text) else {
                throw ConfigError(key: "\(key)[\(i)]", "must be realm:NAME or client:CLIENT:NAME")
            }
            return role
        }
    }

    /// The `simas_id` keys of the gateway, read inside that section.
    static func parseVerifyMode(
        _ s: inout ConfigReader, environment: SIMASIDEnvironment?, verifier: inout TokenVerifierConfiguration
    ) throws -> (mode: TokenVerifyMode, userinfoURL: String?) {
        if let v = try s.int("jwks_refresh_cooldown_seconds", in: 1...3_600) { verifier.jwks.refreshCooldownSeconds = Int64(v) }
        var mode = TokenVerifyMode.local
        if let v = try s.string("verify_mode") {
            guard let m = TokenVerifyMode(rawValue: v) else { throw ConfigError(key: s.name("verify_mode"), "must be local or userinfo") }
            mode = m
        }
        let url = try s.string("userinfo_url") ?? environment?.userinfoURL
        if let url, !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
            throw ConfigError(key: s.name("userinfo_url"), "must be an https:// URL")
        }
        if mode == .userinfo && url == nil {
            throw ConfigError(key: s.name("userinfo_url"), "is required with verify_mode userinfo when environment is not set")
        }
        return (mode, url)
    }
}
