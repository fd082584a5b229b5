import RelayCore
import Transport

/// A delivery destination (SMTP server, SMS/WhatsApp API, sandbox file).
///
/// `send` blocks and runs on a worker thread. Implementations own non-Sendable state (an
/// `HTTPClient`, an `SMTPClient`, a file descriptor), so a provider is not Sendable: each worker
/// makes its own from a `ProviderConfig` with `makeProvider()`.
///
/// Outcome reasons are built from status and provider error codes only, never from the provider's
/// error text (it often echoes the recipient), so they are safe to log and to store.
public protocol Provider: AnyObject {
    /// The configured name (e.g. `twilio-sms`), recorded with each attempt.
    var name: String { get }
    /// The provider kind: `smtp`, `twilio`, `meta_whatsapp`, `http` or `sandbox`.
    var kind: String { get }
    /// The channels this provider can deliver on.
    var channels: Set<Channel> { get }
    func send(_ message: OutgoingMessage) -> DeliveryOutcome
    /// The send as a request and its reading, for the engine's multi driver (no thread waits
    /// for the network); nil when the provider can only `send` (the sandbox, test fakes), which
    /// the engine then runs on a blocking lane. `send` must mean the same as running this.
    func prepare(_ message: OutgoingMessage) -> PreparedSend?
    /// Whether `prepare` gives requests (HTTP, SMTP) rather than nil: the engine then needs no
    /// thread per send for this provider, and its concurrency is not bounded by the lanes.
    var preparesSends: Bool { get }
}

extension Provider {
    public func prepare(_ message: OutgoingMessage) -> PreparedSend? { nil }
    public var preparesSends: Bool { false }
}

/// One send split into what goes on the wire and how the answer is read (`Provider.prepare`).
public enum PreparedSend: Sendable {
    /// Decided without a call (a channel the provider does not serve, a bad template).
    case outcome(DeliveryOutcome)
    case http(
        HTTPClientRequest, HTTPClientConfiguration,
        read: @Sendable (Result<HTTPClientResponse, TransportError>) -> DeliveryOutcome)
    case smtp(SMTPSubmission, SMTPClientConfiguration, read: @Sendable (Result<Int, TransportError>) -> DeliveryOutcome)

    /// Runs it on blocking clients (the providers' own `send`).
    func run(http: () -> HTTPClient, smtp: () -> SMTPClient) -> DeliveryOutcome {
        switch self {
        case .outcome(let o):
            return o
        case .http(let request, _, let read):
            do { return read(.success(try http().perform(request))) } catch { return read(.failure(error)) }
        case .smtp(let submission, _, let read):
            do { return read(.success(try smtp().send(submission))) } catch { return read(.failure(error)) }
        }
    }
}

/// One rendered message ready for a provider. The recipient is normalized (E.164 for phone
/// channels, a validated address for email).
public struct OutgoingMessage: Sendable, CustomStringConvertible {
    public var jobID: String
    public var channel: Channel
    public var recipient: String
    public var otp: String
    /// The plain text (SMS, WhatsApp, the text part of an email).
    public var text: String
    /// Email only.
    public var subject: String?
    /// Email only: the HTML part, already escaped.
    public var html: String?
    /// `id` (default) or `en`.
    public var language: String
    public var validityMinutes: Int
    public var appName: String
    /// When the OTP stops being valid (epoch ms): Twilio's `ValidityPeriod` is what is left of it.
    public var expiresAt: Int64?

    public init(
        jobID: String, channel: Channel, recipient: String, otp: String, text: String,
        subject: String? = nil, html: String? = nil, language: String = "id",
        validityMinutes: Int = 5, appName: String, expiresAt: Int64? = nil
    ) {
        self.jobID = jobID
        self.channel = channel
        self.recipient = recipient
        self.otp = otp
        self.text = text
        self.subject = subject
        self.html = html
        self.language = language
        self.validityMinutes = validityMinutes
        self.appName = appName
        self.expiresAt = expiresAt
    }

    /// Safe to log: job, channel and the masked recipient; never the OTP or the text.
    public var description: String {
        "job \(jobID) \(channel.rawValue) to \(Recipient.mask(recipient))"
    }

    /// The E.164 number without `+` (Meta, some gateways).
    public var recipientDigits: String { String(recipient.filter { $0.isASCII && $0.isNumber }) }
}

/// What one attempt achieved.
public enum DeliveryOutcome: Sendable, Equatable {
    /// The provider accepted the message.
    case sent(providerMessageID: String?, status: Int?)
    /// Try again later (transport failure, 429, 5xx, SMTP 4xx, transient provider codes).
    case retryable(reason: String, retryAfterMillis: Int64?, status: Int?)
    /// Never going to work for this job (invalid number, SMTP 5xx, bad credentials, other 4xx).
    case permanent(reason: String, status: Int?)
    /// This route cannot reach the person (e.g. not on WhatsApp): move to the next rung or channel.
    case nextRoute(reason: String, status: Int?)
    /// The provider itself cannot send (account, sender, template, payment, spam limit): another
    /// provider may well deliver, so the next rung at once; counted against the breaker.
    case providerFailure(reason: String, status: Int?)

    /// `sent`, `retryable`, `permanent` or `next_route`.
    public var name: String {
        switch self {
        case .sent: "sent"
        case .retryable: "retryable"
        case .permanent: "permanent"
        case .nextRoute: "next_route"
        case .providerFailure: "provider_failure"
        }
    }

    public var reason: String? {
        switch self {
        case .sent: nil
        case .retryable(let r, _, _), .permanent(let r, _), .nextRoute(let r, _), .providerFailure(let r, _): r
        }
    }

    /// The HTTP status or SMTP reply code, when there was one.
    public var status: Int? {
        switch self {
        case .sent(_, let s), .retryable(_, _, let s), .permanent(_, let s), .nextRoute(_, let s),
            .providerFailure(_, let s):
            s
        }
    }

    public var retryAfterMillis: Int64? {
        if case .retryable(_, let ms, _) = self { return ms }
        return nil
    }
}
