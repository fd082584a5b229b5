import SQEKYC

/// The `sqekyc` section: where SQEKYC is, our ClientID and ClientSecret, the time one call may
/// take, and how long a queued KYC record may wait for delivery. Absent (and no
/// `OTP_RELAY_SQEKYC_*` variable): KYC is off, and the admin and CLI KYC commands say so.
///
/// KYC jobs live much longer than OTPs: a record must survive an SQEKYC outage and an operator's
/// replay of a dead job, but personal data must not sit in the outbox forever, so the job (and
/// with it the sealed record) expires after `jobValiditySeconds`.
public struct SQEKYCSettings: Sendable, CustomStringConvertible {
    public static let defaultJobValiditySeconds = 86_400
    public static let jobValidityRange = 300...2_592_000
    /// Well below the delivery lease (60 s by default): a call still running when its lease runs
    /// out would be rescued and sent twice.
    public static let timeoutRange = 100...30_000

    /// The preset the base URL came from, when one was named.
    public var environment: SQEKYCEnvironment?
    public var baseURL: String
    public var clientID: String
    public var clientSecret: String
    public var timeoutMillis: Int
    public var jobValiditySeconds: Int

    public init(
        environment: SQEKYCEnvironment? = nil, baseURL: String = "", clientID: String = "",
        clientSecret: String = "", timeoutMillis: Int = SQEKYCConfiguration.defaultTimeoutMillis,
        jobValiditySeconds: Int = defaultJobValiditySeconds
    ) {
        self.environment = environment
        self.baseURL = baseURL.isEmpty ? environment?.baseURL ?? "" : baseURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.timeoutMillis = timeoutMillis
        self.jobValiditySeconds = jobValiditySeconds
    }

    /// The client configuration these settings describe.
    public var client: SQEKYCConfiguration {
        SQEKYCConfiguration(
            baseURL: baseURL, clientID: clientID, clientSecret: clientSecret,
            connectTimeoutMillis: min(SQEKYCConfiguration.defaultConnectTimeoutMillis, timeoutMillis),
            timeoutMillis: timeoutMillis)
    }

    public var jobValidityMillis: Int64 { Int64(jobValiditySeconds) * 1000 }

    public var description: String {
        "sqekyc(\(environment?.rawValue ?? "custom") \(baseURL), client_id \(clientID), client_secret redacted, "
            + "timeout \(timeoutMillis) ms, job validity \(jobValiditySeconds) s)"
    }

    /// Whether `url` is a base URL we will call: `https://host[:port][/path]`, or `http://` to
    /// loopback (tests, a local TLS-terminating proxy); no query, fragment or credentials.
    static func isAcceptableBaseURL(_ url: String) -> Bool {
        guard !url.contains("?"), !url.contains("#"), !url.contains("@"),
            !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F })
        else { return false }
        if url.hasPrefix("https://") { return url.count > "https://".count }
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        return loopback.contains { p in url == p || url.hasPrefix(p + ":") || url.hasPrefix(p + "/") }
    }
}
