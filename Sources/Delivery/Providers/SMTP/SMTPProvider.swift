import RelayCore
import Transport

/// Settings of an `smtp` provider.
/// Built with the memberwise initializer (by the delivery configuration, and in tests).
public struct SMTPProviderConfig: Sendable {
    public var name: String = "smtp"
    /// `smtps://host:465` (implicit TLS) or `smtp://host:587` (STARTTLS, always required).
    public var url: String
    public var username: String?
    public var password: String?
    /// The envelope sender and `From:` address.
    public var fromAddress: String
    public var fromName: String?
    public var replyTo: String?
    /// The right-hand side of Message-IDs; defaults to the domain of `fromAddress`.
    public var messageIDDomain: String?
    /// Timeouts and an optional private CA bundle (`caFile`).
    public var client: SMTPClientConfiguration = SMTPClientConfiguration()
    public var clock: any WallClock = SystemClock()

}

/// Email through an SMTP submission server, over libcurl. One per worker.
///
/// Outcomes: 2xx sent; SMTP 4xx and transport failures retryable; SMTP 5xx (including a refused
/// login) permanent; a server that does not offer STARTTLS is refused before anything is sent
/// (retryable: it may be an attacker stripping STARTTLS, and a fixed server heals the queue).
public final class SMTPProvider: Provider {
    public let config: SMTPProviderConfig
    private lazy var client = SMTPClient(configuration: config.client)

    public var name: String { config.name }
    public var kind: String { "smtp" }
    public var channels: Set<Channel> { [.email] }

    public init(config: SMTPProviderConfig) {
        self.config = config
    }

    /// The RFC 5322 bytes that `send` submits (also used by tests and previews).
    public func buildMessage(_ m: OutgoingMessage) throws(MIMEError) -> [UInt8] {
        let mime = MIMEMessage(
            from: .init(name: config.fromName, address: config.fromAddress),
            to: .init(address: m.recipient),
            replyTo: config.replyTo.map { .init(address: $0) },
            subject: m.subject ?? m.appName,
            dateMillis: config.clock.nowMillis(),
            messageID: messageID(for: m.jobID),
            text: m.text, html: m.html)
        return try mime.render()
    }

    /// Blocking, on this instance's client: the same as running `prepare`.
    public func send(_ m: OutgoingMessage) -> DeliveryOutcome {
        prepared(m).run(http: { fatalError("the smtp provider prepared an HTTP send") }, smtp: { client })
    }

    public func prepare(_ m: OutgoingMessage) -> PreparedSend? { prepared(m) }
    public var preparesSends: Bool { true }

    private func prepared(_ m: OutgoingMessage) -> PreparedSend {
        guard m.channel == .email else { return .outcome(.permanent(reason: "smtp cannot deliver \(m.channel.rawValue)", status: nil)) }
        let bytes: [UInt8]
        do {
            bytes = try buildMessage(m)
        } catch {
            return .outcome(.permanent(reason: "smtp message: \(error)", status: nil))
        }
        let submission = SMTPSubmission(
            url: config.url, username: config.username, password: config.password,
            mailFrom: config.fromAddress, recipients: [m.recipient], message: bytes)
        let id = "<\(messageID(for: m.jobID))>"
        return .smtp(submission, config.client) { result in
            switch result {
            case .success(let reply): .sent(providerMessageID: id, status: reply)
            case .failure(let e): SMTPProvider.classify(e)
            }
        }
    }

    /// `jobid@domain`: the same for every attempt of a job.
    public func messageID(for jobID: String) -> String {
        let domain = config.messageIDDomain ?? config.fromAddress.split(separator: "@").last.map(String.init)
        return "\(jobID)@\(domain ?? "otp-relay.invalid")"
    }

    /// SMTP replies first (4xx retryable, 5xx permanent), then the transport class.
    static func classify(_ e: TransportError) -> DeliveryOutcome {
        let reply = e.replyCode
        if (400...499).contains(reply) {
            return .retryable(reason: "smtp reply \(reply)", retryAfterMillis: nil, status: reply)
        }
        if (500...599).contains(reply) {
            return .permanent(reason: "smtp reply \(reply)", status: reply)
        }
        switch e.kind {
        case .authentication:
            return .permanent(reason: "smtp login refused", status: reply == 0 ? nil : reply)
        case .tls:
            return .retryable(reason: "smtp tls: \(e.message)", retryAfterMillis: nil, status: nil)
        default:
            return OutcomeRules.transport(e)
        }
    }
}
