/// One HTTP request. Header names and values must not contain CR, LF or NUL.
public struct HTTPClientRequest: Sendable, CustomStringConvertible {
    /// Credentials for `Authorization: Basic`; never printed.
    public struct BasicAuth: Sendable, CustomStringConvertible {
        public var user: String
        public var password: String
        public init(user: String, password: String) {
            self.user = user
            self.password = password
        }
        public var description: String { "BasicAuth(redacted)" }
    }

    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Overrides `HTTPClientConfiguration.connectTimeoutMillis` for this request.
    public var connectTimeoutMillis: Int?
    /// Overrides `HTTPClientConfiguration.totalTimeoutMillis` for this request.
    public var totalTimeoutMillis: Int?
    public var basicAuth: BasicAuth?

    public init(
        method: String = "GET",
        url: String,
        headers: [(String, String)] = [],
        body: [UInt8] = [],
        connectTimeoutMillis: Int? = nil,
        totalTimeoutMillis: Int? = nil,
        basicAuth: BasicAuth? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeoutMillis = connectTimeoutMillis
        self.totalTimeoutMillis = totalTimeoutMillis
        self.basicAuth = basicAuth
    }

    /// Method and body size only: URLs, headers and bodies can carry secrets.
    public var description: String { "\(method) request (\(body.count) body bytes)" }
}

/// A complete HTTP response (the final one, after any `100 Continue`).
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Wall time of the transfer on the monotonic clock.
    public var durationMillis: Int64

    public init(status: Int, headers: [(String, String)], body: [UInt8], durationMillis: Int64) {
        self.status = status
        self.headers = headers
        self.body = body
        self.durationMillis = durationMillis
    }

    /// The first value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.0.lowercased() == wanted }?.1
    }

    /// The body as UTF-8 text (invalid sequences replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    public var isSuccess: Bool { (200...299).contains(status) }
}
