import RelayCore
import Transport

/// Settings of a `meta_whatsapp` provider (WhatsApp Cloud API, authentication template).
/// Built with the memberwise initializer (by the delivery configuration, and in tests).
public struct MetaWhatsAppConfig: Sendable {
    public static let defaultBaseURL = "https://graph.facebook.com"
    public static let defaultAPIVersion = "v21.0"

    public var name: String = "meta_whatsapp"
    public var baseURL: String = MetaWhatsAppConfig.defaultBaseURL
    public var apiVersion: String = MetaWhatsAppConfig.defaultAPIVersion
    public var phoneNumberID: String
    /// A system-user access token; sent as `Authorization: Bearer`.
    public var accessToken: String
    /// The approved authentication template (category AUTHENTICATION, copy-code button).
    public var templateName: String
    /// Our language (`id`, `en`) to the template's WhatsApp language code.
    public var languageCodes: [String: String] = ["id": "id", "en": "en_US"]
    /// Adds the `button` component that the copy-code (or one-tap) button requires.
    public var copyCodeButton: Bool = true
    /// Judge status webhooks (`POST /v1/receipts/meta/{name}`): needs `appSecret` (what Meta
    /// signs them with, `X-Hub-Signature-256`) and `verifyToken` (the subscription handshake).
    public var statusCallbacks: Bool = false
    public var appSecret: String?
    public var verifyToken: String?
    public var http: HTTPClientConfiguration = HTTPClientConfiguration()
    public var clock: any WallClock = SystemClock()

}
