import RelayCore
import Transport

/// Parsing of `delivery.providers.<name>`: one object per provider, `kind` choosing the settings.
/// Secrets (`password`, `auth_token`, `api_key_secret`, `access_token`, `basic_auth.password`)
/// also accept `<key>_file` and `<key>_env`.
extension DeliveryConfiguration {
    static func parseProvider(
        name: String, _ s: inout ConfigReader, sandboxFile: String, publicBaseURL: String? = nil,
        environment: [String: String], clock: any WallClock
    ) throws(ConfigError) -> ProviderSpec {
        let kind = try s.requiredString("kind")
        let concurrency = try s.int("concurrency", in: 1...10_000)
        let rate = try s.double("rate_per_second")
        if let rate, !(rate > 0 && rate <= 100_000) { throw s.fail("rate_per_second", "must be above 0 and at most 100000") }
        let burst = try s.int("burst", in: 1...100_000)
        let config: ProviderConfig
        switch kind {
        case "smtp":
            var client = SMTPClientConfiguration()
            if let v = try s.int("connect_timeout_ms", in: 1...600_000) { client.connectTimeoutMillis = v }
            if let v = try s.int("total_timeout_ms", in: 1...600_000) { client.totalTimeoutMillis = v }
            client.caFile = try s.string("ca_file")
            config = .smtp(
                SMTPProviderConfig(
                    name: name, url: try s.requiredString("url"), username: try s.string("username"),
                    password: try s.secret("password", environment: environment),
                    fromAddress: try s.requiredString("from_address"), fromName: try s.string("from_name"),
                    replyTo: try s.string("reply_to"), messageIDDomain: try s.string("message_id_domain"),
                    client: client, clock: clock))
        case "twilio":
            let http = try httpClient(&s)
            let credentials: TwilioConfig.Credentials
            let token = try s.secret("auth_token", environment: environment)
            let keySID = try s.string("api_key_sid")
            let keySecret = try s.secret("api_key_secret", environment: environment)
            // An API key sends; the auth token (given beside it) still signs status callbacks.
            switch (token, keySID, keySecret) {
            case (let t?, nil, nil): credentials = .authToken(t)
            case (_, let sid?, let secret?): credentials = .apiKey(sid: sid, secret: secret)
            default: throw s.fail("auth_token", "give auth_token, or api_key_sid with api_key_secret")
            }
            config = .twilio(
                TwilioConfig(
                    name: name, baseURL: try s.string("base_url") ?? TwilioConfig.defaultBaseURL,
                    accountSID: try s.requiredString("account_sid"), credentials: credentials,
                    smsFrom: try s.string("sms_from"), whatsAppFrom: try s.string("whatsapp_from"),
                    messagingServiceSID: try s.string("messaging_service_sid"),
                    whatsAppContentSID: try s.string("whatsapp_content_sid"),
                    whatsAppContentVariables: try s.stringMap("whatsapp_content_variables") ?? ["1": "{otp}"],
                    channels: try channels(&s) ?? [.sms, .whatsapp], statusCallbacks: try s.bool("status_callbacks") ?? false,
                    signingToken: token, publicBaseURL: try s.string("public_base_url") ?? publicBaseURL, http: http, clock: clock))
        case "meta_whatsapp":
            let http = try httpClient(&s)
            guard let token = try s.secret("access_token", environment: environment) else {
                throw s.fail("access_token", "is required")
            }
            config = .metaWhatsApp(
                MetaWhatsAppConfig(
                    name: name, baseURL: try s.string("base_url") ?? MetaWhatsAppConfig.defaultBaseURL,
                    apiVersion: try s.string("api_version") ?? MetaWhatsAppConfig.defaultAPIVersion,
                    phoneNumberID: try s.requiredString("phone_number_id"), accessToken: token,
                    templateName: try s.requiredString("template_name"),
                    languageCodes: try s.stringMap("language_codes") ?? ["id": "id", "en": "en_US"],
                    copyCodeButton: try s.bool("copy_code_button") ?? true,
                    statusCallbacks: try s.bool("status_callbacks") ?? false,
                    appSecret: try s.secret("app_secret", environment: environment),
                    verifyToken: try s.secret("verify_token", environment: environment), http: http, clock: clock))
        case "http":
            let http = try httpClient(&s)
            let bodyKindText = try s.string("body_kind") ?? "json"
            guard let bodyKind = HTTPGatewayConfig.BodyKind(rawValue: bodyKindText) else {
                throw s.fail("body_kind", "must be json or form")
            }
            var auth: HTTPClientRequest.BasicAuth?
            if var b = try s.object("basic_auth") {
                guard let password = try b.secret("password", environment: environment) else { throw b.fail("password", "is required") }
                auth = .init(user: try b.requiredString("username"), password: password)
                try b.rejectUnknownKeys()
            }
            let headers = (try s.stringMap("headers") ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            config = .http(
                HTTPGatewayConfig(
                    name: name, method: try s.string("method") ?? "POST", url: try s.requiredString("url"), headers: headers,
                    bodyKind: bodyKind, bodyTemplate: try s.requiredString("body_template"), basicAuth: auth,
                    messageIDPath: try s.string("message_id_path"), channels: try channels(&s) ?? [.sms, .whatsapp],
                    http: http, clock: clock))
        case "sandbox":
            config = .sandbox(SandboxConfig(name: name, path: try s.string("file") ?? sandboxFile, clock: clock))
        default:
            throw s.fail("kind", "must be smtp, twilio, meta_whatsapp, http or sandbox")
        }
        try s.rejectUnknownKeys()
        do {
            try config.validate()
        } catch {
            let field = kind == "sandbox" && error.field == "path" ? "file" : error.field
            throw ConfigError(key: s.name(field), error.problem)
        }
        return ProviderSpec(config, maxConcurrency: concurrency, ratePerSecond: rate, burst: burst)
    }

    private static func httpClient(_ s: inout ConfigReader) throws(ConfigError) -> HTTPClientConfiguration {
        var c = HTTPClientConfiguration()
        if let v = try s.int("connect_timeout_ms", in: 1...600_000) { c.connectTimeoutMillis = v }
        if let v = try s.int("total_timeout_ms", in: 1...600_000) { c.totalTimeoutMillis = v }
        c.caFile = try s.string("ca_file")
        c.proxy = try s.string("proxy")
        return c
    }

    private static func channels(_ s: inout ConfigReader) throws(ConfigError) -> Set<Channel>? {
        guard let names = try s.strings("channels") else { return nil }
        var out: Set<Channel> = []
        for n in names {
            guard let c = Channel(rawValue: n) else { throw s.fail("channels", "unknown channel \(n)") }
            out.insert(c)
        }
        guard !out.isEmpty else { throw s.fail("channels", "must not be empty") }
        return out
    }
}
