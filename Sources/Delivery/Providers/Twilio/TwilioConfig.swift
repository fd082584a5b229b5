import RelayCore
import Transport

/// Settings of a `twilio` provider (Programmable Messaging, SMS and WhatsApp).
public struct TwilioConfig: Sendable {
    public static let defaultBaseURL = "https://api.twilio.com"

    /// How requests authenticate: the account's auth token, or an API key (recommended).
    public enum Credentials: Sendable {
        case authToken(String)
        case apiKey(sid: String, secret: String)
    }

    public var name: String
    public var baseURL: String
    public var accountSID: String
    public var credentials: Credentials
    /// SMS sender (E.164 or alphanumeric sender id). Ignored when `messagingServiceSID` is set.
    public var smsFrom: String?
    /// WhatsApp sender in E.164, sent as `whatsapp:+…`.
    public var whatsAppFrom: String?
    /// A Messaging Service (`MG…`) used instead of `From`.
    public var messagingServiceSID: String?
    /// WhatsApp Content template (`HX…`); business-initiated WhatsApp messages need one.
    /// Without it the rendered text is sent as `Body` (works only inside a 24 h session).
    public var whatsAppContentSID: String?
    /// Content variables by template position; values may use `{otp}`, `{minutes}`, `{app}`.
    public var whatsAppContentVariables: [String: String]
    public var channels: Set<Channel>
    /// Ask for status callbacks (`StatusCallback` on every message) and judge them.
    public var statusCallbacks: Bool
    /// The account's auth token: what Twilio signs callbacks with (`X-Twilio-Signature`), even
    /// when requests authenticate with an API key.
    public var signingToken: String?
    /// Where Twilio reaches this service (the nginx front), e.g. `https://otp.example.com`:
    /// callbacks go to `{public_base_url}/v1/receipts/twilio/{name}`, and signatures cover it.
    public var publicBaseURL: String?
    public var http: HTTPClientConfiguration
    public var clock: any WallClock

    public init(
        name: String = "twilio", baseURL: String = TwilioConfig.defaultBaseURL, accountSID: String,
        credentials: Credentials, smsFrom: String? = nil, whatsAppFrom: String? = nil,
        messagingServiceSID: String? = nil, whatsAppContentSID: String? = nil,
        whatsAppContentVariables: [String: String] = ["1": "{otp}"],
        channels: Set<Channel> = [.sms, .whatsapp], statusCallbacks: Bool = false, signingToken: String? = nil,
        publicBaseURL: String? = nil,
        http: HTTPClientConfiguration = HTTPClientConfiguration(), clock: any WallClock = SystemClock()
    ) {
        self.name = name
        self.baseURL = baseURL
        self.accountSID = accountSID
        self.credentials = credentials
        self.smsFrom = smsFrom
        self.whatsAppFrom = whatsAppFrom
        self.messagingServiceSID = messagingServiceSID
        self.whatsAppContentSID = whatsAppContentSID
        self.whatsAppContentVariables = whatsAppContentVariables
        self.channels = channels
        self.statusCallbacks = statusCallbacks
        if let signingToken {
            self.signingToken = signingToken
        } else if case .authToken(let t) = credentials {
            self.signingToken = t
        }
        self.publicBaseURL = publicBaseURL
        self.http = http
        self.clock = clock
    }

    /// The URL Twilio posts this provider's status callbacks to (and signs), when they are on.
    public var statusCallbackURL: String? {
        guard statusCallbacks, var base = publicBaseURL else { return nil }
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/v1/receipts/twilio/" + name
    }

    var basicAuth: HTTPClientRequest.BasicAuth {
        switch credentials {
        case .authToken(let token): .init(user: accountSID, password: token)
        case .apiKey(let sid, let secret): .init(user: sid, password: secret)
        }
    }
}
