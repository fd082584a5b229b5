import RelayCore
import SQEKYC

/// The `sqekyc` configuration section and its environment overrides:
///
///     "sqekyc": {"environment": "sandbox" | "production", "base_url": "https://…",
///                "client_id": "…", "client_secret": "…" | "client_secret_file": "/run/secrets/sqekyc",
///                "timeout_ms": 10000, "job_validity_seconds": 86400}
///
/// `OTP_RELAY_SQEKYC_BASE_URL`, `OTP_RELAY_SQEKYC_CLIENT_ID` and `OTP_RELAY_SQEKYC_CLIENT_SECRET`
/// (or `…_CLIENT_SECRET_FILE`) win over the file, and alone are enough to turn KYC on.
extension Configuration {
    static let sqekycEnvironmentNames = [
        "OTP_RELAY_SQEKYC_BASE_URL", "OTP_RELAY_SQEKYC_CLIENT_ID",
        "OTP_RELAY_SQEKYC_CLIENT_SECRET", "OTP_RELAY_SQEKYC_CLIENT_SECRET_FILE",
    ]

    /// Reads the file's section; completeness is checked once the environment is applied.
    static func parseSQEKYC(_ r: inout ConfigReader) throws -> SQEKYCSettings? {
        guard var s = try r.object("sqekyc") else { return nil }
        var settings = SQEKYCSettings()
        if let e = try s.string("environment") {
            guard let env = SQEKYCEnvironment(rawValue: e) else {
                throw ConfigError(key: s.name("environment"), "must be sandbox or production")
            }
            settings.environment = env
            settings.baseURL = env.baseURL
        }
        if let v = try s.string("base_url") { settings.baseURL = try sqekycBaseURL(v, s.name("base_url")) }
        if let v = try s.string("client_id") { settings.clientID = v }
        let inline = try s.string("client_secret")
        let file = try s.string("client_secret_file")
        if inline != nil && file != nil {
            throw ConfigError(key: s.name("client_secret_file"), "give client_secret or client_secret_file, not both")
        }
        if let inline { settings.clientSecret = inline }
        if let file { settings.clientSecret = try readSecretFile(file, key: s.name("client_secret_file")) }
        if let v = try s.int("timeout_ms", in: SQEKYCSettings.timeoutRange) { settings.timeoutMillis = v }
        if let v = try s.int("job_validity_seconds", in: SQEKYCSettings.jobValidityRange) { settings.jobValiditySeconds = v }
        try s.rejectUnknownKeys()
        return settings
    }

    /// Applies the `OTP_RELAY_SQEKYC_*` variables, then checks that KYC, when on, is complete.
    mutating func applySQEKYCEnvironment(_ env: [String: String]) throws {
        func value(_ k: String) -> String? { env[k].flatMap { $0.isEmpty ? nil : $0 } }
        guard sqekyc != nil || Self.sqekycEnvironmentNames.contains(where: { value($0) != nil }) else { return }
        var s = sqekyc ?? SQEKYCSettings()
        if let v = value("OTP_RELAY_SQEKYC_BASE_URL") {
            s.baseURL = try Self.sqekycBaseURL(v, "OTP_RELAY_SQEKYC_BASE_URL")
            s.environment = SQEKYCEnvironment.allCases.first { $0.baseURL == s.baseURL }
        }
        if let v = value("OTP_RELAY_SQEKYC_CLIENT_ID") { s.clientID = v }
        if value("OTP_RELAY_SQEKYC_CLIENT_SECRET") != nil || value("OTP_RELAY_SQEKYC_CLIENT_SECRET_FILE") != nil {
            s.clientSecret = try Self.secret(env, "OTP_RELAY_SQEKYC_CLIENT_SECRET")
        }
        guard !s.baseURL.isEmpty else {
            throw ConfigError(
                key: "sqekyc.environment", "is required (sandbox or production), or sqekyc.base_url, or OTP_RELAY_SQEKYC_BASE_URL")
        }
        let client = s.clientID.trimmingASCIIWhitespace()
        guard !client.isEmpty, !client.contains(":"), client.utf8.count <= 128,
            client.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else {
            throw ConfigError(
                key: "sqekyc.client_id", "is required (or OTP_RELAY_SQEKYC_CLIENT_ID): 1 to 128 visible characters without ':'")
        }
        s.clientID = client
        guard !s.clientSecret.isEmpty else {
            throw ConfigError(key: "sqekyc.client_secret", "is required (or client_secret_file, or OTP_RELAY_SQEKYC_CLIENT_SECRET)")
        }
        sqekyc = s
    }

    static func sqekycBaseURL(_ v: String, _ key: String) throws -> String {
        guard SQEKYCSettings.isAcceptableBaseURL(v) else {
            throw ConfigError(key: key, "must be an https:// URL without query or credentials (http:// only to loopback)")
        }
        return v
    }
}
