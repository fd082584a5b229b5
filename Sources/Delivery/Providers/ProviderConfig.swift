import RelayCore

/// One configured provider. Sendable, so configuration can be shared; each worker calls
/// `makeProvider()` to get its own instance (with its own libcurl handle or file descriptor).
public enum ProviderConfig: Sendable {
    case smtp(SMTPProviderConfig)
    case twilio(TwilioConfig)
    case metaWhatsApp(MetaWhatsAppConfig)
    case http(HTTPGatewayConfig)
    case sandbox(SandboxConfig)

    /// The configured name, unique among providers.
    public var name: String {
        switch self {
        case .smtp(let c): c.name
        case .twilio(let c): c.name
        case .metaWhatsApp(let c): c.name
        case .http(let c): c.name
        case .sandbox(let c): c.name
        }
    }

    /// `smtp`, `twilio`, `meta_whatsapp`, `http` or `sandbox`.
    public var kind: String {
        switch self {
        case .smtp: "smtp"
        case .twilio: "twilio"
        case .metaWhatsApp: "meta_whatsapp"
        case .http: "http"
        case .sandbox: "sandbox"
        }
    }

    public var channels: Set<Channel> {
        switch self {
        case .smtp: [.email]
        case .twilio(let c): c.channels
        case .metaWhatsApp: [.whatsapp]
        case .http(let c): c.channels
        case .sandbox: Set(Channel.allCases)
        }
    }

    public func makeProvider() -> any Provider {
        switch self {
        case .smtp(let c): SMTPProvider(config: c)
        case .twilio(let c): TwilioProvider(config: c)
        case .metaWhatsApp(let c): MetaWhatsAppProvider(config: c)
        case .http(let c): HTTPGatewayProvider(config: c)
        case .sandbox(let c): SandboxProvider(config: c)
        }
    }

    /// Finds settings that cannot work, for start-up and `config check`.
    public func validate() throws(ProviderConfigError) {
        func fail(_ field: String, _ problem: String) -> ProviderConfigError {
            ProviderConfigError(provider: name, field: field, problem: problem)
        }
        func requireURL(_ field: String, _ url: String, schemes: [String]) throws(ProviderConfigError) {
            guard schemes.contains(where: { url.lowercased().hasPrefix($0 + "://") }) else {
                throw fail(field, "must start with " + schemes.map { $0 + "://" }.joined(separator: " or "))
            }
        }
        switch self {
        case .smtp(let c):
            try requireURL("url", c.url, schemes: ["smtps", "smtp"])
            guard Recipient.normalizeEmail(c.fromAddress) != nil else { throw fail("from_address", "not a valid address") }
            if (c.username == nil) != (c.password == nil) { throw fail("password", "username and password go together") }
        case .twilio(let c):
            try requireURL("base_url", c.baseURL, schemes: ["https", "http"])
            guard !c.accountSID.isEmpty else { throw fail("account_sid", "required") }
            if c.messagingServiceSID == nil {
                if c.channels.contains(.sms) && c.smsFrom == nil {
                    throw fail("sms_from", "required for sms without messaging_service_sid")
                }
                if c.channels.contains(.whatsapp) && c.whatsAppFrom == nil {
                    throw fail("whatsapp_from", "required for whatsapp without messaging_service_sid")
                }
            }
            if c.channels.contains(.email) { throw fail("channels", "twilio cannot deliver email") }
            if c.statusCallbacks {
                guard c.signingToken?.isEmpty == false else {
                    throw fail("auth_token", "required with status_callbacks (Twilio signs callbacks with it)")
                }
                guard let base = c.publicBaseURL else { throw fail("public_base_url", "required with status_callbacks") }
                try requireURL("public_base_url", base, schemes: ["https", "http"])
            }
        case .metaWhatsApp(let c):
            try requireURL("base_url", c.baseURL, schemes: ["https", "http"])
            for (field, v) in [("phone_number_id", c.phoneNumberID), ("access_token", c.accessToken), ("template_name", c.templateName)]
            where v.isEmpty { throw fail(field, "required") }
            if c.statusCallbacks {
                for (field, v) in [("app_secret", c.appSecret), ("verify_token", c.verifyToken)] where v?.isEmpty ?? true {
                    throw fail(field, "required with status_callbacks")
                }
            }
        case .http(let c):
            try requireURL("url", c.url, schemes: ["https", "http"])
            if c.channels.contains(.email) { throw fail("channels", "the http gateway delivers sms and whatsapp only") }
            try c.validate()
        case .sandbox(let c):
            guard !c.path.isEmpty else { throw fail("path", "required") }
        }
    }
}

/// A provider setting that cannot work, found before start-up.
public struct ProviderConfigError: Error, Sendable, CustomStringConvertible {
    public let provider: String
    public let field: String
    public let problem: String
    public init(provider: String, field: String, problem: String) {
        self.provider = provider
        self.field = field
        self.problem = problem
    }
    public var description: String { "provider \(provider): \(field): \(problem)" }
}
