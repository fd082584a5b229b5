import Delivery
import Foundation
import HTTPServer
import RelayCore
import RelayCrypto

/// A `host:port` listener address (`127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:8080`).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) { self.host = host; self.port = port }

    public init?(parsing text: String) {
        var hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        if hostPart == "localhost" { hostPart = "127.0.0.1" }
        guard !hostPart.isEmpty, let p = Int(portPart), (0...65535).contains(p) else { return nil }
        guard hostPart.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else { return nil }
        host = String(hostPart)
        port = p
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A credential as we keep it: the username and the SHA-256 digest of the password.
/// Generated passwords carry 192 bits, so a plain digest is not brute-forceable.
public struct StoredCredential: Sendable, Equatable {
    public var username: String
    public var passwordDigest: [UInt8]
    public init(username: String, passwordDigest: [UInt8]) { self.username = username; self.passwordDigest = passwordDigest }
    public init(username: String, password: String) {
        self.init(username: username, passwordDigest: Crypto.sha256(Array(password.utf8)))
    }
}

/// Rate limits, with named defaults.
public struct RateLimitConfiguration: Sendable {
    /// New OTP jobs per identifier (channel + normalized recipient) within the window.
    public var perIdentifierMax = 5
    public var perIdentifierWindow: Duration = .seconds(300)
    /// Failed BasicAuth attempts per client address within the window before 429.
    public var failedAuthMax = 20
    public var failedAuthWindow: Duration = .seconds(60)
    /// Upper bound on tracked keys per limiter (memory bound under attack).
    public var maxTrackedKeys = 20_000
    public init() {}
}

/// Limits of the admin listener, with named defaults.
public struct AdminListenerLimits: Sendable, Equatable {
    public static let defaultMaxConnections = 256
    public static let defaultMaxBodyBytes = 64 * 1024
    /// Open connections at most; more are refused at accept.
    public var maxConnections = defaultMaxConnections
    /// Largest request body (replay lists, KYC pushes).
    public var maxBodyBytes = defaultMaxBodyBytes
    public init() {}
}

/// Everything `otp-relay` reads at start-up. Defaults are the embedded default of docs/design.md §2.
public struct Configuration: Sendable {
    public var databasePath = "otp-relay.sqlite"
    /// A PostgreSQL connection string (`database_url`, `OTP_RELAY_DATABASE_URL`): selects the
    /// PostgreSQL store shared by several nodes instead of the SQLite file at `databasePath`.
    public var databaseURL: String?
    /// A connection string for the PostgreSQL listener alone (`database_listen_url`,
    /// `OTP_RELAY_DATABASE_LISTEN_URL`): straight to the server when `databaseURL` goes through a
    /// PgBouncer in transaction mode, through which `LISTEN` cannot work.
    public var databaseListenURL: String?
    public var listen = ListenAddress(host: "127.0.0.1", port: 8080)
    public var adminListen = ListenAddress(host: "127.0.0.1", port: 9090)
    /// The URL SIMAS-ID should call, printed by `credentials new` (behind the TLS proxy).
    public var publicBaseURL: String?
    public var logLevel: LogLevel = .info
    public var defaultCountryCode = "62"
    public var appName = "SIMAS-ID"
    /// How long an OTP may be delivered after it arrived (`otp_validity_seconds`).
    public var otpValidity: Duration = .seconds(300)
    /// A repeat of the same OTP within this window is answered with the first job's id
    /// (`dedupe_window_seconds`).
    public var dedupeWindow: Duration = .seconds(60)
    public var dataKey: DataKey?
    public var dataKeyFile: String?
    public var credentialsFile: String?
    public var webhookCredentials: [StoredCredential] = []
    public var adminCredentials: [StoredCredential] = []
    public var trustedProxies: [String] = []
    public var rateLimits = RateLimitConfiguration()
    /// Two event loops: measured best on the 2-core target machine (docs/benchmarks.md).
    public var http = HTTPServerConfiguration(eventLoops: 2)
    /// Limits of the admin listener (operators and monitoring: few connections, small bodies).
    public var adminHTTP = AdminListenerLimits()
    public var sandboxFile = "otp-relay-sandbox.jsonl"
    /// From SIGTERM, how long in-flight requests and sends may take (`shutdown_grace_seconds`).
    public var shutdownGrace: Duration = .seconds(10)
    /// SIMAS-ID bearer tokens on the admin API (the `simas_id` section); nil: BasicAuth only.
    public var simasID: SIMASIDSettings?
    /// Terminal jobs (`sent`, `expired`) older than this are deleted; `.zero` keeps them forever
    /// (`retention_days`).
    public var retention: Duration = .seconds(30 * 86_400)
    /// How often the retention sweep runs.
    public var retentionSweepInterval: Duration = .seconds(60)
    /// false: an ingest-only instance (jobs wait in the outbox until a delivering instance runs).
    public var deliveryEnabled = true
    /// Providers, routes and retry policy (the `delivery` section, see docs/delivery.md);
    /// nil: the sandbox provider for every channel, writing to `sandboxFile`.
    public var delivery: DeliveryConfiguration?
    /// The `sqekyc` section (KYC pushes to SQEKYC); nil: KYC is off.
    public var sqekyc: SQEKYCSettings?
    /// The token gateway (`auth_listen`, `auth_gateway`); off unless its listener is set.
    public var authGateway = AuthGatewaySettings()

    public init() {}

    /// The directory generated files live in: the database's directory.
    public var stateDirectory: String {
        let dir = (databasePath as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }
    public var resolvedDataKeyFile: String { dataKeyFile ?? stateDirectory + "/otp-relay.data-key" }
    public var resolvedCredentialsFile: String { credentialsFile ?? stateDirectory + "/otp-relay.credentials.json" }
    /// The delivery configuration in force: the configured one, or the sandbox default.
    public var effectiveDelivery: DeliveryConfiguration {
        delivery ?? .sandbox(file: sandboxFile, appName: appName)
    }

    public var webhookURL: String {
        (publicBaseURL ?? "http://\(listen)").trimmingSuffix("/") + "/v1/webhooks/otp"
    }
}

extension String {
    func trimmingSuffix(_ s: String) -> String { hasSuffix(s) ? String(dropLast(s.count)) : self }
}
