/// Limits and policies of one `HTTPClient`. Every value has a named default.
public struct HTTPClientConfiguration: Sendable {
    public static let defaultConnectTimeoutMillis = 3_000
    public static let defaultTotalTimeoutMillis = 10_000
    public static let defaultMaxResponseBytes = 1 << 20
    public static let defaultMaxHeaderBytes = 64 << 10
    public static let defaultUserAgent = "otp-relay/1"

    /// Time allowed for TCP connect and the TLS handshake.
    public var connectTimeoutMillis: Int
    /// Time allowed for the whole transfer, connect included.
    public var totalTimeoutMillis: Int
    /// Largest response body accepted; a larger one fails with `.tooLarge`.
    public var maxResponseBytes: Int
    /// Largest response head accepted; a larger one fails with `.tooLarge`.
    public var maxHeaderBytes: Int
    /// `http://` is allowed only to 127.0.0.1, ::1 and localhost, and only when this is true;
    /// every other URL must be `https://`.
    public var allowPlainHTTPToLoopback: Bool
    public var userAgent: String
    /// A PEM bundle of trusted CAs instead of the system store (private CAs, tests).
    public var caFile: String?
    /// An explicit proxy URL. nil means no proxy: the `*_proxy` environment variables are ignored,
    /// so where requests go never depends on the environment.
    public var proxy: String?

    public init(
        connectTimeoutMillis: Int = defaultConnectTimeoutMillis,
        totalTimeoutMillis: Int = defaultTotalTimeoutMillis,
        maxResponseBytes: Int = defaultMaxResponseBytes,
        maxHeaderBytes: Int = defaultMaxHeaderBytes,
        allowPlainHTTPToLoopback: Bool = true,
        userAgent: String = defaultUserAgent,
        caFile: String? = nil,
        proxy: String? = nil
    ) {
        self.connectTimeoutMillis = connectTimeoutMillis
        self.totalTimeoutMillis = totalTimeoutMillis
        self.maxResponseBytes = maxResponseBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.allowPlainHTTPToLoopback = allowPlainHTTPToLoopback
        self.userAgent = userAgent
        self.caFile = caFile
        self.proxy = proxy
    }
}
