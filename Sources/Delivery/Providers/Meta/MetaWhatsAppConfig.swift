import RelayCore
import Transport

/// Settings of a `meta_whatsapp` provider (WhatsApp Cloud API, authentication template).
public struct MetaWhatsAppConfig: Sendable {
    public static let defaultBaseURL = "https://graph.facebook.com"
    public static let defaultAPIVersion = "v21.0"

    public var name: String
    public var baseURL: String
    public var apiVersion: String
    public var phoneNumberID: String
    /// A system-user access token; sent as `Authorization: Bearer`.
    public var accessToken: String
    /// The approved authentication template (category AUTHENTICATION, copy-code button).
    public var templateName: String
    /// Our language (`id`, `en`) to the template's WhatsApp language code.
    public var languageCodes: [String: String]
    /// Adds the `button` component that the copy-code (or one-tap) button requires.
    public var copyCodeButton: Bool
    /// Judge status webhooks (`POST /v1/receipts/meta/{name}`): needs `appSecret` (what Meta
    /// signs them with, `X-Hub-Signature-256`) and `verifyToken` (the subscription handshake).
    public var statusCallbacks: Bool
    public var appSecret: String?
    public var verifyToken: String?
    public var http: HTTPClientConfiguration
    public var clock: any WallClock

    public init(
        name: String = "meta_whatsapp", baseURL: String = MetaWhatsAppConfig.defaultBaseURL,
        apiVersion: String = MetaWhatsAppConfig.defaultAPIVersion, phoneNumberID: String,
        accessToken: String, templateName: String,
        languageCodes: [String: String] = ["id": "id", "en": "en_US"], copyCodeButton: Bool = true,
        statusCallbacks: Bool = false, appSecret: String? = nil, verifyToken: String? = nil,
        http: HTTPClientConfiguration = HTTPClientConfiguration(), clock: any WallClock = SystemClock()
    ) {
        self.name = name
        self.baseURL = baseURL
        self.apiVersion = apiVersion
        self.phoneNumberID = phoneNumberID
        self.accessToken = accessToken
        self.templateName = templateName
        self.languageCodes = languageCodes
        self.copyCodeButton = copyCodeButton
        self.statusCallbacks = statusCallbacks
        self.appSecret = appSecret
        self.verifyToken = verifyToken
        self.http = http
        self.clock = clock
    }
}
