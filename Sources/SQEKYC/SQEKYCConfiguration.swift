import Transport

/// The SQEKYC environments named in the partner document ("BE - BE Call to Store KYC Data").
public enum SQEKYCEnvironment: String, Sendable, CaseIterable {
    case sandbox
    case production

    /// `{{BASE_URL}}` in the partner document.
    public var baseURL: String {
        switch self {
        case .sandbox: return "https://sqekyc.stg.squantumengine.com"
        case .production: return "https://sqekyc.squantumengine.com"
        }
    }
}

/// Where SQEKYC is and how we log in: the base URL, the ClientID and ClientSecret sent as
/// BasicAuth on every call, and the time one call may take. The secret never appears in
/// `description`, so a configuration can be logged.
public struct SQEKYCConfiguration: Sendable, CustomStringConvertible {
    public static let defaultConnectTimeoutMillis = 3_000
    public static let defaultTimeoutMillis = 10_000
    /// A KYC record and its answer are small; anything larger is not SQEKYC talking.
    public static let defaultMaxResponseBytes = 256 << 10

    /// `https://…` without the `/v1/common-kyc` path (`http://` is accepted for loopback only,
    /// by `HTTPClient`).
    public var baseURL: String
    public var clientID: String
    public var clientSecret: String
    /// TCP connect and TLS handshake; never more than `timeoutMillis`.
    public var connectTimeoutMillis: Int
    /// The whole call, connect included.
    public var timeoutMillis: Int
    public var maxResponseBytes: Int
    /// A PEM bundle of trusted CAs instead of the system store (private CAs, tests).
    public var caFile: String?

    public init(
        baseURL: String, clientID: String, clientSecret: String,
        connectTimeoutMillis: Int = defaultConnectTimeoutMillis, timeoutMillis: Int = defaultTimeoutMillis,
        maxResponseBytes: Int = defaultMaxResponseBytes, caFile: String? = nil
    ) {
        self.baseURL = baseURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.connectTimeoutMillis = connectTimeoutMillis
        self.timeoutMillis = timeoutMillis
        self.maxResponseBytes = maxResponseBytes
        self.caFile = caFile
    }

    public init(environment: SQEKYCEnvironment, clientID: String, clientSecret: String) {
        self.init(baseURL: environment.baseURL, clientID: clientID, clientSecret: clientSecret)
    }

    /// `{base}/v1/common-kyc`.
    public var endpoint: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/v1/common-kyc"
    }

    /// The HTTP client settings these values imply.
    var httpClient: HTTPClientConfiguration {
        HTTPClientConfiguration(
            connectTimeoutMillis: min(connectTimeoutMillis, timeoutMillis),
            totalTimeoutMillis: timeoutMillis, maxResponseBytes: maxResponseBytes,
            caFile: caFile)
    }

    public var description: String {
        "SQEKYC(\(baseURL), client_id \(clientID), client_secret redacted, timeout \(timeoutMillis) ms)"
    }
}
