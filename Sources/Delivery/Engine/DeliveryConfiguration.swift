import Foundation
import RelayCore

/// Everything the delivery engine needs: providers by name, routes, retry and breaker policies,
/// pool sizes and message settings. Built from the service configuration's `delivery` section by
/// `parse(_:sandboxFile:appName:)`, or in code (tests, embedding).
public struct DeliveryConfiguration: Sendable {
    public static let defaultWorkers = 8
    public static let defaultMaxInFlight = 4_096
    /// One multi driver per core, at most 4.
    public static let defaultDeliveryThreads = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
    public static let defaultBatchSize = 32
    public static let defaultLease: Duration = .seconds(60)
    public static let defaultExpireSweepInterval: Duration = .seconds(5)
    public static let defaultMaxIdle: Duration = .seconds(5)
    public static let defaultLanguage = MessageTemplates.defaultLanguage
    public static let defaultAppName = "SIMAS-ID"

    /// Providers by name.
    public var providers: [String: ProviderSpec]
    public var routes: Routes
    public var retry: RetryPolicy
    public var breaker: CircuitBreakerPolicy
    /// Blocking lanes: threads for sends that cannot go on the multi interface (the sandbox's
    /// file, job handlers such as KYC, providers without `prepare`), started as needed up to this
    /// many. HTTP and SMTP providers never use them.
    public var workers: Int
    /// Threads driving libcurl's multi interface (`delivery_threads`): every HTTP and SMTP send.
    public var deliveryThreads: Int
    /// Jobs claimed and not yet settled at most (`max_in_flight`): sends in flight, jobs waiting
    /// for a provider's slot or token, tries waiting for their commit. Bounds memory and how many
    /// leases one instance holds.
    public var maxInFlight: Int
    /// Most jobs one claim leases.
    public var batchSize: Int
    /// How long a claimed job stays leased without a renewal. The pool renews every held lease
    /// each third of it (`LeaseKeeper`), from the claim until the try committed; the lease must
    /// still outlast the slowest provider's total timeout plus `leaseMargin`, so a send
    /// outlives failing renewals (`leaseProblem`, checked at parsing: start-up and `config check`).
    public var lease: Duration
    /// How often queued and dead jobs past expiry are expired (their payloads erased).
    public var expireSweepInterval: Duration
    /// Longest sleep of the dispatcher with nothing due: a safety net for another process
    /// writing the same database (in-process commits wake it at once).
    public var maxIdle: Duration
    /// The language of jobs that carry none: `id` or `en`.
    public var language: String
    /// `{app}` in messages, for jobs that carry no app name.
    public var appName: String
    public var templates: MessageTemplates
    /// Per channel: a job accepted on that channel by a provider with receipts and no delivered
    /// receipt within this time moves to the next rung (the same code again). None by default.
    public var fallbackAfter: [Channel: Duration] = [:]

    public init(
        providers: [ProviderSpec], routes: Routes, retry: RetryPolicy = RetryPolicy(),
        breaker: CircuitBreakerPolicy = CircuitBreakerPolicy(), workers: Int = defaultWorkers,
        deliveryThreads: Int = defaultDeliveryThreads, maxInFlight: Int = defaultMaxInFlight,
        batchSize: Int = defaultBatchSize, lease: Duration = defaultLease,
        expireSweepInterval: Duration = defaultExpireSweepInterval, maxIdle: Duration = defaultMaxIdle,
        language: String = defaultLanguage, appName: String = defaultAppName,
        templates: MessageTemplates = MessageTemplates()
    ) {
        var byName: [String: ProviderSpec] = [:]
        for p in providers { byName[p.name] = p }
        self.providers = byName
        self.routes = routes
        self.retry = retry
        self.breaker = breaker
        self.workers = workers
        self.deliveryThreads = deliveryThreads
        self.maxInFlight = maxInFlight
        self.batchSize = batchSize
        self.lease = lease
        self.expireSweepInterval = expireSweepInterval
        self.maxIdle = maxIdle
        self.language = language
        self.appName = appName
        self.templates = templates
    }

    /// The embedded default: every channel to one `sandbox` provider writing `sandboxFile`.
    public static func sandbox(
        file: String, appName: String = defaultAppName,
        clock: any WallClock = SystemClock()
    ) -> DeliveryConfiguration {
        DeliveryConfiguration(
            providers: [.sandbox(file: file, clock: clock)], routes: .single("sandbox"),
            appName: appName)
    }

    /// One line for the start-up log: each channel's flattened ladder, e.g.
    /// `email: mail; sms: twilio > gateway; whatsapp: meta > twilio > sms:twilio > sms:gateway`.
    public var routeSummary: String {
        Channel.allCases.map { channel in
            let rungs = routes.rungs(for: channel)
            let text =
                rungs.isEmpty
                ? "(none)"
                : rungs.map {
                    $0.channel == channel ? $0.provider : "\($0.channel.rawValue):\($0.provider)"
                }.joined(separator: " > ")
            return "\(channel.rawValue): \(text)"
        }.joined(separator: "; ")
    }

    /// Room above the slowest provider's total timeout that `lease` must leave (the finish's
    /// commit, a renewal round).
    public static let leaseMargin: Duration = .seconds(1)

    /// The provider whose sends may take longest, with that time; nil when none is bounded.
    public var slowestProvider: (name: String, timeout: Duration)? {
        providers.values.compactMap { p in p.sendTimeout.map { (name: p.name, timeout: $0) } }
            .max { ($0.timeout, $1.name) < ($1.timeout, $0.name) }
    }

    /// Why `lease` is too short for the providers, or nil: it must be at least the slowest
    /// provider's total timeout plus `leaseMargin`.
    public var leaseProblem: String? {
        guard let slowest = slowestProvider else { return nil }
        let least = slowest.timeout + Self.leaseMargin
        guard lease < least else { return nil }
        return "must be at least \(least.wholeMilliseconds) (provider \(slowest.name) has total_timeout_ms "
            + "\(slowest.timeout.wholeMilliseconds), plus a \(Self.leaseMargin.wholeMilliseconds) ms margin)"
    }

    /// Whether every channel goes to the sandbox only (the service announces it loudly).
    public var isSandboxOnly: Bool {
        routes.providerNames.allSatisfy { providers[$0]?.kind == "sandbox" }
    }
}
