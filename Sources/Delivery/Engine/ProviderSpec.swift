import RelayCore

/// A configured provider as the engine needs it: its name, kind, channels, how many sends it may
/// have in flight, and a factory (usually `ProviderConfig.makeProvider`; tests pass fakes).
/// Providers are not Sendable (they own libcurl handles and file descriptors), so the spec
/// carries a `@Sendable` factory and each worker thread makes its own instance on first use.
public struct ProviderSpec: Sendable {
    public let name: String
    public let kind: String
    public let channels: Set<Channel>
    /// Most sends in flight through this provider (`concurrency`); nil for the kind's default
    /// (`defaultConcurrency(kind:)`).
    public var maxConcurrency: Int?
    /// Most sends started per second (`rate_per_second`, a token bucket); nil for the kind's
    /// default (`defaultRate(kind:)`, none for most kinds: only a provider's throttle answers
    /// then lower the rate).
    public var ratePerSecond: Double?
    /// Sends that may start at once after a quiet spell (`burst`); nil: one second's worth.
    public var burst: Int?
    /// The longest one send may take (its `total_timeout_ms`); nil when unbounded by the network
    /// (the sandbox). The lease must outlast it (`DeliveryConfiguration.leaseProblem`).
    public var sendTimeout: Duration?
    /// How its delivery receipts are checked, when it sends them (status callbacks on): its
    /// accepted jobs then stay `sent` with the sealed OTP until a receipt or the expiry settles them.
    public var receipts: ReceiptSource?
    /// Why a WhatsApp route must not use it, when it cannot send business-initiated WhatsApp.
    public var whatsAppProblem: String?
    public let make: @Sendable () -> any Provider

    public init(
        name: String, kind: String, channels: Set<Channel>, maxConcurrency: Int? = nil, sendTimeout: Duration? = nil,
        receipts: ReceiptSource? = nil, make: @escaping @Sendable () -> any Provider
    ) {
        self.name = name
        self.kind = kind
        self.channels = channels
        self.maxConcurrency = maxConcurrency
        self.sendTimeout = sendTimeout
        self.receipts = receipts
        self.make = make
    }

    /// Sends in flight at most by default, per kind: what each API tolerates from one account
    /// (Twilio answers 20429 past about 100 concurrent requests; Meta's Cloud API is paced by its
    /// rate instead), an SMTP relay's usual per-client session cap, and for a generic `http`
    /// gateway enough for 5,000 messages a second at 400 ms.
    public static func defaultConcurrency(kind: String) -> Int {
        switch kind {
        case "smtp": 16
        case "twilio": 100
        case "meta_whatsapp": 400
        case "http": 2_048
        case "sandbox": 16
        default: 1_024
        }
    }

    /// Sends per second by default, per kind (with a burst of one second's worth): Meta's Cloud
    /// API admits 80 messages a second per phone number unless raised; the others none.
    public static func defaultRate(kind: String) -> Double? {
        kind == "meta_whatsapp" ? 80 : nil
    }

    /// The concurrency in force.
    public var concurrency: Int { maxConcurrency ?? ProviderSpec.defaultConcurrency(kind: kind) }
    /// The rate and burst in force; nil rate: unlimited (until a throttle).
    public var rate: (perSecond: Double?, burst: Double?) {
        let r = ratePerSecond ?? ProviderSpec.defaultRate(kind: kind)
        return (r, burst.map(Double.init) ?? r)
    }

    /// A provider from the provider layer's settings.
    public init(_ config: ProviderConfig, maxConcurrency: Int? = nil, ratePerSecond: Double? = nil, burst: Int? = nil) {
        self.init(
            name: config.name, kind: config.kind, channels: config.channels, maxConcurrency: maxConcurrency,
            sendTimeout: config.totalTimeout, receipts: config.receiptSource
        ) {
            config.makeProvider()
        }
        if case .twilio(let c) = config, c.whatsAppContentSID == nil {
            // Since April 2025 Twilio refuses a free-form Body for business-initiated WhatsApp.
            whatsAppProblem = "twilio needs whatsapp_content_sid for whatsapp (a free-form Body is refused)"
        }
        self.ratePerSecond = ratePerSecond
        self.burst = burst
    }

    /// The `sandbox` provider writing JSON lines to `file`.
    public static func sandbox(name: String = "sandbox", file: String, clock: any WallClock = SystemClock()) -> ProviderSpec {
        ProviderSpec(.sandbox(SandboxConfig(name: name, path: file, clock: clock)))
    }
}

/// What a receipt endpoint needs to authenticate one provider's receipts. Holds secrets: never
/// logged (its description says only the kind).
public enum ReceiptSource: Sendable, CustomStringConvertible {
    /// Twilio signs with the auth token over `url` (the callback URL it was given) and the form.
    case twilio(url: String, authToken: String)
    /// Meta signs the raw body with the app secret; `verifyToken` answers the subscription handshake.
    case meta(appSecret: String, verifyToken: String)

    public var description: String {
        switch self {
        case .twilio: "twilio status callbacks"
        case .meta: "meta status webhooks"
        }
    }
}

extension ProviderConfig {
    /// How this provider's receipts are checked; nil unless status callbacks are on.
    public var receiptSource: ReceiptSource? {
        switch self {
        case .twilio(let c):
            guard c.statusCallbacks, let url = c.statusCallbackURL, let token = c.signingToken else { return nil }
            return .twilio(url: url, authToken: token)
        case .metaWhatsApp(let c):
            guard c.statusCallbacks, let secret = c.appSecret, let verify = c.verifyToken else { return nil }
            return .meta(appSecret: secret, verifyToken: verify)
        default:
            return nil
        }
    }

    /// The client's total timeout of one send (`total_timeout_ms`); nil for the sandbox.
    public var totalTimeout: Duration? {
        switch self {
        case .smtp(let c): .milliseconds(c.client.totalTimeoutMillis)
        case .twilio(let c): .milliseconds(c.http.totalTimeoutMillis)
        case .metaWhatsApp(let c): .milliseconds(c.http.totalTimeoutMillis)
        case .http(let c): .milliseconds(c.http.totalTimeoutMillis)
        case .sandbox: nil
        }
    }
}

/// The providers one blocking lane has made, by name. Confined to its thread, never shared.
final class WorkerProviders {
    private let specs: [String: ProviderSpec]
    private var made: [String: any Provider] = [:]

    init(specs: [String: ProviderSpec]) {
        self.specs = specs
    }

    func provider(named name: String) -> (any Provider)? {
        if let p = made[name] { return p }
        guard let spec = specs[name] else { return nil }
        let p = spec.make()
        made[name] = p
        return p
    }
}
