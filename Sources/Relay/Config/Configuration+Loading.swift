import Delivery
import Foundation
import HTTPServer
import RelayCore
import RelayCrypto

extension Configuration {
    /// Loads the configuration: defaults, then the JSON file (`--config` or `OTP_RELAY_CONFIG`),
    /// then the environment variables of docs/design.md §2, which win. Unknown keys and invalid values throw
    /// a `ConfigError` naming the key.
    public static func load(path explicitPath: String?, environment env: [String: String]) throws -> Configuration {
        var c = Configuration()
        var deliverySection: [String: Any]?
        if let path = explicitPath ?? env["OTP_RELAY_CONFIG"], !path.isEmpty {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(key: "", "cannot read the configuration file \(path)")
            }
            var r = try ConfigReader.parse(data: data)
            try c.apply(&r)
            deliverySection = try r.object("delivery")?.values
            try r.rejectUnknownKeys()
        }
        try c.applyEnvironment(env)
        // Parsed last: it needs the final sandbox file and app name.
        if let deliverySection {
            c.delivery = try DeliveryConfiguration.parse(
                deliverySection, sandboxFile: c.sandboxFile, appName: c.appName, publicBaseURL: c.publicBaseURL, environment: env)
        }
        return c
    }

    mutating func apply(_ r: inout ConfigReader) throws {
        if let v = try r.string("database") { databasePath = try Self.nonEmpty(v, r.name("database")) }
        if let v = try r.string("database_url") { databaseURL = try Self.databaseURL(v, r.name("database_url")) }
        if let v = try r.string("database_listen_url") { databaseListenURL = try Self.databaseURL(v, r.name("database_listen_url")) }
        if let v = try r.string("listen") { listen = try Self.address(v, r.name("listen")) }
        if let v = try r.string("admin_listen") { adminListen = try Self.address(v, r.name("admin_listen")) }
        if let v = try r.string("public_base_url") {
            guard v.hasPrefix("https://") || v.hasPrefix("http://") else {
                throw ConfigError(key: r.name("public_base_url"), "must start with https://")
            }
            publicBaseURL = v
        }
        if let v = try r.string("log_level") { logLevel = try Self.level(v, r.name("log_level")) }
        if let v = try r.string("default_country_code") {
            guard (1...3).contains(v.count), v.allSatisfy(\.isASCII), v.allSatisfy(\.isNumber), v.first != "0" else {
                throw ConfigError(key: r.name("default_country_code"), "must be 1 to 3 digits, e.g. \"62\"")
            }
            defaultCountryCode = v
        }
        if let v = try r.string("app_name") { appName = try Self.nonEmpty(v, r.name("app_name")) }
        if let v = try r.duration("otp_validity_seconds", in: 30...86_400) { otpValidity = v }
        if let v = try r.duration("dedupe_window_seconds", in: 0...3_600) { dedupeWindow = v }
        if let v = try r.string("data_key") { dataKey = try Self.key(v, r.name("data_key")) }
        if let v = try r.string("data_key_file") { dataKeyFile = v }
        if let v = try r.string("credentials_file") { credentialsFile = v }
        if let list = try r.objects("webhook_credentials") { webhookCredentials = try list.map(Self.credential) }
        if let list = try r.objects("admin_credentials") { adminCredentials = try list.map(Self.credential) }
        if let v = try r.strings("trusted_proxies") {
            for (i, p) in v.enumerated() where ListenAddress(parsing: p.contains(":") && !p.hasPrefix("[") ? "[\(p)]:0" : "\(p):0") == nil {
                throw ConfigError(key: "\(r.name("trusted_proxies"))[\(i)]", "must be an IP address")
            }
            trustedProxies = v
        }
        if var rl = try r.object("rate_limits") {
            if let v = try rl.int("per_identifier_max", in: 1...10_000) { rateLimits.perIdentifierMax = v }
            if let v = try rl.duration("per_identifier_window_seconds", in: 1...86_400) { rateLimits.perIdentifierWindow = v }
            if let v = try rl.int("failed_auth_max", in: 1...100_000) { rateLimits.failedAuthMax = v }
            if let v = try rl.duration("failed_auth_window_seconds", in: 1...86_400) { rateLimits.failedAuthWindow = v }
            if let v = try rl.int("max_tracked_keys", in: 1_000...10_000_000) { rateLimits.maxTrackedKeys = v }
            try rl.rejectUnknownKeys()
        }
        if var h = try r.object("http") {
            if let v = try h.int("event_loops", in: 1...64) { http.eventLoops = v }
            if let v = try h.int("max_connections", in: 1...1_000_000) { http.maxConnections = v }
            if let v = try h.duration("head_timeout_ms", in: 100...600_000) { http.headTimeout = v }
            if let v = try h.duration("body_timeout_ms", in: 100...600_000) { http.bodyTimeout = v }
            if let v = try h.duration("idle_timeout_ms", in: 100...3_600_000) { http.idleTimeout = v }
            if let v = try h.duration("write_timeout_ms", in: 100...600_000) { http.writeTimeout = v }
            try h.rejectUnknownKeys()
        }
        if let v = try r.string("sandbox_file") { sandboxFile = try Self.nonEmpty(v, r.name("sandbox_file")) }
        if let v = try r.duration("shutdown_grace_seconds", in: 1...600) { shutdownGrace = v }
        if let v = try r.bool("delivery_enabled") { deliveryEnabled = v }
        if let v = try r.int("retention_days", in: 0...3_650) { retention = .seconds(v * 86_400) }
        simasID = try Self.parseSIMASID(&r)
        sqekyc = try Self.parseSQEKYC(&r)
        try applyAuthGateway(&r)
        if dedupeWindow > otpValidity {
            throw ConfigError(key: r.name("dedupe_window_seconds"), "must not be longer than otp_validity_seconds")
        }
    }

    mutating func applyEnvironment(_ env: [String: String]) throws {
        func value(_ k: String) -> String? { env[k].flatMap { $0.isEmpty ? nil : $0 } }
        if let v = value("OTP_RELAY_DB") { databasePath = v }
        if let v = value("OTP_RELAY_DATABASE_URL") { databaseURL = try Self.databaseURL(v, "OTP_RELAY_DATABASE_URL") }
        if let v = value("OTP_RELAY_DATABASE_LISTEN_URL") {
            databaseListenURL = try Self.databaseURL(v, "OTP_RELAY_DATABASE_LISTEN_URL")
        }
        if databaseListenURL != nil, databaseURL == nil {
            throw ConfigError(key: "database_listen_url", "needs database_url (it only moves the PostgreSQL listener)")
        }
        if let v = value("OTP_RELAY_LISTEN") { listen = try Self.address(v, "OTP_RELAY_LISTEN") }
        if let v = value("OTP_RELAY_ADMIN_LISTEN") { adminListen = try Self.address(v, "OTP_RELAY_ADMIN_LISTEN") }
        if let v = value("OTP_RELAY_LOG_LEVEL") { logLevel = try Self.level(v, "OTP_RELAY_LOG_LEVEL") }
        if let v = value("OTP_RELAY_SANDBOX_FILE") { sandboxFile = v }
        if let v = value("OTP_RELAY_DATA_KEY") { dataKey = try Self.key(v, "OTP_RELAY_DATA_KEY") }
        if let v = value("OTP_RELAY_DATA_KEY_FILE") { dataKeyFile = v; dataKey = nil }
        if let u = value("OTP_RELAY_WEBHOOK_USERNAME") {
            let p = try Self.secret(env, "OTP_RELAY_WEBHOOK_PASSWORD")
            webhookCredentials.append(try Self.checked(StoredCredential(username: u, password: p), "OTP_RELAY_WEBHOOK_USERNAME"))
        } else if value("OTP_RELAY_WEBHOOK_PASSWORD") != nil {
            throw ConfigError(key: "OTP_RELAY_WEBHOOK_USERNAME", "is required with OTP_RELAY_WEBHOOK_PASSWORD")
        }
        if let u = value("OTP_RELAY_ADMIN_USERNAME") {
            let p = try Self.secret(env, "OTP_RELAY_ADMIN_PASSWORD")
            adminCredentials.append(try Self.checked(StoredCredential(username: u, password: p), "OTP_RELAY_ADMIN_USERNAME"))
        } else if value("OTP_RELAY_ADMIN_PASSWORD") != nil {
            throw ConfigError(key: "OTP_RELAY_ADMIN_USERNAME", "is required with OTP_RELAY_ADMIN_PASSWORD")
        }
        try applySQEKYCEnvironment(env)
        try applyAuthGatewayEnvironment(env)
        try checkAuthGateway()
    }

    /// A libpq connection string: a `postgresql://` (or `postgres://`) URI, or `key=value` pairs.
    static func databaseURL(_ v: String, _ key: String) throws -> String {
        let t = v.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("postgresql://") || t.hasPrefix("postgres://") || t.contains("=") else {
            throw ConfigError(key: key, "must be a PostgreSQL URI (postgresql://…) or a key=value connection string")
        }
        return t
    }

    /// A secret from `NAME` or from the file named by `NAME_FILE`.
    static func secret(_ env: [String: String], _ name: String) throws -> String {
        if let v = env[name], !v.isEmpty { return v }
        if let f = env[name + "_FILE"], !f.isEmpty { return try readSecretFile(f, key: name + "_FILE") }
        throw ConfigError(key: name, "is required (or \(name)_FILE)")
    }

    static func readSecretFile(_ path: String, key: String) throws -> String {
        guard let d = FileManager.default.contents(atPath: path), let s = String(data: d, encoding: .utf8) else {
            throw ConfigError(key: key, "cannot read \(path)")
        }
        let t = s.trimmingASCIIWhitespace()
        guard !t.isEmpty else { throw ConfigError(key: key, "\(path) is empty") }
        return t
    }

    static func credential(_ r: ConfigReader) throws -> StoredCredential {
        var r = r
        guard let user = try r.string("username") else { throw ConfigError(key: r.name("username"), "is required") }
        var cred: StoredCredential
        if let hex = try r.string("password_sha256") {
            guard let d = Self.hexBytes(hex), d.count == 32 else {
                throw ConfigError(key: r.name("password_sha256"), "must be 64 hex digits")
            }
            cred = StoredCredential(username: user, passwordDigest: d)
        } else if let p = try r.string("password") {
            cred = StoredCredential(username: user, password: p)
        } else if let f = try r.string("password_file") {
            cred = StoredCredential(username: user, password: try readSecretFile(f, key: r.name("password_file")))
        } else {
            throw ConfigError(key: r.name("password"), "one of password, password_file or password_sha256 is required")
        }
        try r.rejectUnknownKeys()
        return try checked(cred, r.name("username"))
    }

    static func checked(_ c: StoredCredential, _ key: String) throws -> StoredCredential {
        guard !c.username.isEmpty, !c.username.contains(":"), c.username.utf8.count <= 128,
            c.username.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
        else { throw ConfigError(key: key, "a username is 1 to 128 visible characters without ':'") }
        return c
    }

    static func address(_ v: String, _ key: String) throws -> ListenAddress {
        guard let a = ListenAddress(parsing: v) else { throw ConfigError(key: key, "must be host:port, e.g. 127.0.0.1:8080") }
        return a
    }
    static func level(_ v: String, _ key: String) throws -> LogLevel {
        guard let l = LogLevel(name: v) else { throw ConfigError(key: key, "must be debug, info, warning or error") }
        return l
    }
    static func key(_ v: String, _ key: String) throws -> DataKey {
        do { return try DataKey(base64: v.trimmingASCIIWhitespace()) } catch {
            throw ConfigError(key: key, "must be 32 bytes in base64")
        }
    }
    static func nonEmpty(_ v: String, _ key: String) throws -> String {
        guard !v.isEmpty else { throw ConfigError(key: key, "must not be empty") }
        return v
    }
    static func hexBytes(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let h = UInt8(String(decoding: u[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(h)
            i += 2
        }
        return out
    }
}
