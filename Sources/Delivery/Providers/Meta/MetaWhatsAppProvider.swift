import RelayCore
import Transport

/// WhatsApp through Meta's Cloud API: an authentication template whose body parameter and
/// copy-code button both carry the OTP.
/// `POST {base}/{version}/{phone-number-id}/messages`, `Authorization: Bearer …`, JSON.
public final class MetaWhatsAppProvider: Provider {
    public let config: MetaWhatsAppConfig
    private let exchange: ProviderHTTPExchange

    public var name: String { config.name }
    public var kind: String { "meta_whatsapp" }
    public var channels: Set<Channel> { [.whatsapp] }

    public init(config: MetaWhatsAppConfig) {
        self.config = config
        // 2xx with `messages[0].id` is sent; errors by Graph error code first, then by status.
        self.exchange = ProviderHTTPExchange(
            http: config.http, messageIDPath: "messages.0.id",
            errors: .codes(provider: "meta", codePath: "error.code", classify: MetaErrorCodes.classify), clock: config.clock)
    }

    /// The request body: `to` is the E.164 number without `+`.
    public func body(for m: OutgoingMessage) -> [UInt8] {
        var components: [[String: Any]] = [
            ["type": "body", "parameters": [["type": "text", "text": m.otp]]]
        ]
        if config.copyCodeButton {
            components.append([
                "type": "button", "sub_type": "url", "index": "0",
                "parameters": [["type": "text", "text": m.otp]],
            ])
        }
        let language = config.languageCodes[m.language] ?? config.languageCodes[MessageTemplates.defaultLanguage] ?? m.language
        let doc: [String: Any] = [
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": m.recipientDigits,
            "type": "template",
            "template": ["name": config.templateName, "language": ["code": language], "components": components],
            // Echoed in every status webhook of the message: which job it was.
            "biz_opaque_callback_data": m.jobID,
        ]
        return ProviderJSON.encode(doc)
    }

    /// Blocking, on this instance's client: the same as running `prepare`.
    public func send(_ m: OutgoingMessage) -> DeliveryOutcome { exchange.run(prepared(m)) }

    public func prepare(_ m: OutgoingMessage) -> PreparedSend? { prepared(m) }
    public var preparesSends: Bool { true }

    private func prepared(_ m: OutgoingMessage) -> PreparedSend {
        guard m.channel == .whatsapp else {
            return .outcome(.permanent(reason: "meta_whatsapp cannot deliver \(m.channel.rawValue)", status: nil))
        }
        let path =
            "/\(FormEncoding.escape(config.apiVersion, form: false))/\(FormEncoding.escape(config.phoneNumberID, form: false))/messages"
        let request = HTTPClientRequest(
            method: "POST", url: ProviderHTTPExchange.url(base: config.baseURL, path: path),
            headers: [
                ("Content-Type", "application/json"), ("Accept", "application/json"),
                ("Authorization", "Bearer " + config.accessToken),
            ],
            body: body(for: m))
        return exchange.prepare(request)
    }
}
