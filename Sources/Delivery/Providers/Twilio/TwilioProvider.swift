import RelayCore
import Transport

/// SMS and WhatsApp through Twilio Programmable Messaging:
/// `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, HTTP Basic.
public final class TwilioProvider: Provider {
    public let config: TwilioConfig
    private let exchange: ProviderHTTPExchange

    public var name: String { config.name }
    public var kind: String { "twilio" }
    public var channels: Set<Channel> { config.channels }

    public init(config: TwilioConfig) {
        self.config = config
        // 2xx with a `sid` is sent; errors by Twilio code first, then by status. The provider's
        // `message` is never copied into the reason: it echoes the phone number.
        self.exchange = ProviderHTTPExchange(
            http: config.http, messageIDPath: "sid",
            errors: .codes(provider: "twilio", codePath: "code", classify: TwilioErrorCodes.classify), clock: config.clock)
    }

    /// The form fields for a message, in a stable order.
    public func formFields(for m: OutgoingMessage) -> [(String, String)] {
        let whatsapp = m.channel == .whatsapp
        var fields: [(String, String)] = [("To", whatsapp ? "whatsapp:" + m.recipient : m.recipient)]
        if let service = config.messagingServiceSID {
            fields.append(("MessagingServiceSid", service))
        } else if let from = whatsapp ? config.whatsAppFrom : config.smsFrom {
            fields.append(("From", whatsapp ? "whatsapp:" + from : from))
        }
        if whatsapp, let content = config.whatsAppContentSID {
            let values = ["otp": m.otp, "minutes": String(m.validityMinutes), "app": m.appName]
            var vars: [String: String] = [:]
            for (k, v) in config.whatsAppContentVariables { vars[k] = TemplateRenderer.render(v, values: values) }
            fields.append(("ContentSid", content))
            fields.append(("ContentVariables", String(decoding: ProviderJSON.encode(vars), as: UTF8.self)))
        } else {
            fields.append(("Body", m.text))
        }
        if let callback = config.statusCallbackURL {
            fields.append(("StatusCallback", callback))
            if let expiresAt = m.expiresAt {
                fields.append(("ValidityPeriod", String(Self.validityPeriod(expiresAt: expiresAt, now: config.clock.nowMillis()))))
            }
        }
        return fields
    }

    /// What is left of the OTP's validity in whole seconds (rounded up), within Twilio's
    /// `ValidityPeriod` range 1…36000: a code no longer valid is not worth delivering late.
    static func validityPeriod(expiresAt: Int64, now: Int64) -> Int {
        Int(min(36_000, max(1, (expiresAt - now + 999) / 1000)))
    }

    /// Blocking, on this instance's client: the same as running `prepare`.
    public func send(_ m: OutgoingMessage) -> DeliveryOutcome { exchange.run(prepared(m)) }

    public func prepare(_ m: OutgoingMessage) -> PreparedSend? { prepared(m) }
    public var preparesSends: Bool { true }

    private func prepared(_ m: OutgoingMessage) -> PreparedSend {
        guard channels.contains(m.channel) else {
            return .outcome(.permanent(reason: "twilio not configured for \(m.channel.rawValue)", status: nil))
        }
        let url = ProviderHTTPExchange.url(
            base: config.baseURL, path: "/2010-04-01/Accounts/\(FormEncoding.escape(config.accountSID, form: false))/Messages.json")
        let request = HTTPClientRequest(
            method: "POST", url: url,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: Array(FormEncoding.encode(formFields(for: m)).utf8),
            basicAuth: config.basicAuth)
        return exchange.prepare(request)
    }
}
