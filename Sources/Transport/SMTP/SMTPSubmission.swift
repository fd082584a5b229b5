/// Limits and trust for one `SMTPClient`.
public struct SMTPClientConfiguration: Sendable {
    public static let defaultConnectTimeoutMillis = 5_000
    public static let defaultTotalTimeoutMillis = 20_000

    public var connectTimeoutMillis: Int
    public var totalTimeoutMillis: Int
    /// A PEM bundle of trusted CAs instead of the system store (private relays, tests).
    public var caFile: String?

    public init(
        connectTimeoutMillis: Int = defaultConnectTimeoutMillis,
        totalTimeoutMillis: Int = defaultTotalTimeoutMillis,
        caFile: String? = nil
    ) {
        self.connectTimeoutMillis = connectTimeoutMillis
        self.totalTimeoutMillis = totalTimeoutMillis
        self.caFile = caFile
    }
}

/// One message handed to an SMTP server: envelope, credentials and the RFC 5322 bytes (CRLF).
public struct SMTPSubmission: Sendable, CustomStringConvertible {
    /// `smtps://host[:465]` (implicit TLS) or `smtp://host[:587]` (STARTTLS, always required).
    public var url: String
    public var username: String?
    public var password: String?
    public var mailFrom: String
    public var recipients: [String]
    public var message: [UInt8]

    public init(
        url: String, username: String? = nil, password: String? = nil,
        mailFrom: String, recipients: [String], message: [UInt8]
    ) {
        self.url = url
        self.username = username
        self.password = password
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.message = message
    }

    public var description: String { "SMTP submission (\(recipients.count) recipients, \(message.count) bytes)" }
}
