import RelayCore
import Transport

/// SMS or WhatsApp through any HTTP gateway, from a request template (`HTTPGatewayConfig`).
/// 2xx is sent (message id from `messageIDPath`); 408/429/5xx retryable; other statuses permanent.
public final class HTTPGatewayProvider: Provider {
    public let config: HTTPGatewayConfig
    private let exchange: ProviderHTTPExchange
    private let templateError: ProviderConfigError?

    public var name: String { config.name }
    public var kind: String { "http" }
    public var channels: Set<Channel> { config.channels }

    public init(config: HTTPGatewayConfig) {
        self.config = config
        self.exchange = ProviderHTTPExchange(
            http: config.http, messageIDPath: config.messageIDPath, errors: .statusOnly(provider: config.name), clock: config.clock)
        do { try config.validate(); templateError = nil } catch { templateError = error }
    }

    /// The request for a message: URL and body rendered with escaped values.
    public func request(for m: OutgoingMessage) -> HTTPClientRequest {
        let values = [
            "to": m.recipient, "to_digits": m.recipientDigits, "text": m.text, "otp": m.otp,
            "job_id": m.jobID, "channel": m.channel.rawValue, "minutes": String(m.validityMinutes), "app": m.appName,
        ]
        let url = TemplateRenderer.render(config.url, values: values) { FormEncoding.escape($0, form: false) }
        let body: String
        var headers = config.headers
        switch config.bodyKind {
        case .json:
            body = TemplateRenderer.render(config.bodyTemplate, values: values, escape: HTTPGatewayProvider.jsonEscaped)
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { headers.append(("Content-Type", "application/json")) }
        case .form:
            body = TemplateRenderer.render(config.bodyTemplate, values: values) { FormEncoding.escape($0) }
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            }
        }
        return HTTPClientRequest(
            method: config.method, url: url, headers: headers, body: Array(body.utf8),
            basicAuth: config.basicAuth)
    }

    /// A value escaped for the inside of a JSON string (the quotes dropped as bytes: a value
    /// starting with a combining mark keeps it).
    static func jsonEscaped(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 2)
        JSONText.appendQuoted(value, to: &out)
        return String(decoding: out[1..<(out.count - 1)], as: UTF8.self)
    }

    /// Blocking, on this instance's client: the same as running `prepare`.
    public func send(_ m: OutgoingMessage) -> DeliveryOutcome { exchange.run(prepared(m)) }

    public func prepare(_ m: OutgoingMessage) -> PreparedSend? { prepared(m) }
    public var preparesSends: Bool { true }

    private func prepared(_ m: OutgoingMessage) -> PreparedSend {
        if let templateError { return .outcome(.permanent(reason: templateError.description, status: nil)) }
        guard channels.contains(m.channel) else {
            return .outcome(.permanent(reason: "\(name) not configured for \(m.channel.rawValue)", status: nil))
        }
        return exchange.prepare(request(for: m))
    }
}
