import Foundation
import RelayCore

/// Parsing of the service configuration's `delivery` section (shape and examples in
/// docs/delivery.md). Every error names its key.
extension DeliveryConfiguration {
    /// Builds the configuration from the raw `delivery` object. Absent (nil or empty): every
    /// channel goes to one `sandbox` provider writing `sandboxFile`.
    ///
    /// - Parameters:
    ///   - appName: `{app}` when the section sets no `app_name`.
    ///   - environment: where `*_env` secrets are looked up.
    ///   - publicBaseURL: the service's public URL, the default of a twilio provider's
    ///     `public_base_url` (where its status callbacks go).
    public static func parse(
        _ json: [String: Any]?, sandboxFile: String, appName: String = defaultAppName, publicBaseURL: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        clock: any WallClock = SystemClock()
    ) throws(ConfigError) -> DeliveryConfiguration {
        guard let json, !json.isEmpty else { return .sandbox(file: sandboxFile, appName: appName, clock: clock) }
        var s = ConfigReader(json, path: "delivery")

        guard var providersSection = try s.object("providers") else { throw s.fail("providers", "is required") }
        var providers: [ProviderSpec] = []
        for (name, value) in providersSection.entries() {
            guard let o = value as? [String: Any] else { throw providersSection.fail(name, "must be an object") }
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw providersSection.fail(name, "provider names use letters, digits, - and _")
            }
            var p = ConfigReader(o, path: providersSection.name(name))
            providers.append(
                try parseProvider(
                    name: name, &p, sandboxFile: sandboxFile, publicBaseURL: publicBaseURL, environment: environment, clock: clock))
        }
        guard !providers.isEmpty else { throw s.fail("providers", "must name at least one provider") }
        let byName = Dictionary(uniqueKeysWithValues: providers.map { ($0.name, $0) })

        guard var routesSection = try s.object("routes") else { throw s.fail("routes", "is required") }
        var ladders: [Channel: [String]] = [:]
        for (channelName, _) in routesSection.entries() {
            guard let channel = Channel(rawValue: channelName) else { throw routesSection.fail(channelName, "unknown channel") }
            guard let ladder = try routesSection.strings(channelName), !ladder.isEmpty else {
                throw routesSection.fail(channelName, "must list at least one provider")
            }
            for name in ladder {
                guard let spec = byName[name] else { throw routesSection.fail(channelName, "unknown provider \(name)") }
                if channel == .whatsapp, let problem = spec.whatsAppProblem {
                    throw routesSection.fail(channelName, "provider \(name): \(problem)")
                }
                guard spec.channels.contains(channel) else {
                    throw routesSection.fail(channelName, "provider \(name) cannot deliver \(channel.rawValue)")
                }
            }
            guard Set(ladder).count == ladder.count else { throw routesSection.fail(channelName, "lists a provider twice") }
            ladders[channel] = ladder
        }
        var fallbacks: [Channel: Channel] = [:]
        if let map = try s.stringMap("fallback") {
            for (from, to) in map {
                guard let f = Channel(rawValue: from) else { throw s.fail("fallback.\(from)", "unknown channel") }
                guard let t = Channel(rawValue: to) else { throw s.fail("fallback.\(from)", "unknown channel \(to)") }
                fallbacks[f] = t
            }
        }
        let routes: Routes
        do {
            routes = try Routes(ladders: ladders, fallbacks: fallbacks)
        } catch {
            throw s.fail("fallback", error.description)
        }

        var config = DeliveryConfiguration(providers: providers, routes: routes, appName: appName)
        if var r = try s.object("retry") {
            if let v = try r.duration("base_delay_ms", in: 1...3_600_000) { config.retry.baseDelay = v }
            if let v = try r.duration("max_delay_ms", in: 1...3_600_000) { config.retry.maxDelay = v }
            if let v = try r.int("max_attempts", in: 1...1_000) { config.retry.maxAttempts = v }
            try r.rejectUnknownKeys()
            guard config.retry.maxDelay >= config.retry.baseDelay else {
                throw r.fail("max_delay_ms", "must not be below base_delay_ms")
            }
        }
        if var b = try s.object("circuit_breaker") {
            if let v = try b.int("consecutive_failures", in: 1...1_000_000) { config.breaker.consecutiveFailures = v }
            if let v = try b.double("failure_rate") {
                guard v > 0, v <= 1 else { throw b.fail("failure_rate", "must be above 0 and at most 1") }
                config.breaker.failureRate = v
            }
            if let v = try b.int("window", in: 0...10_000) { config.breaker.window = v }
            if let v = try b.duration("cool_down_ms", in: 1...3_600_000) { config.breaker.coolDown = v }
            if let v = try b.duration("probe_wait_ms", in: 1...3_600_000) { config.breaker.probeWait = v }
            try b.rejectUnknownKeys()
        }
        if let v = try s.int("workers", in: 1...1_024) { config.workers = v }
        if let v = try s.int("delivery_threads", in: 1...64) { config.deliveryThreads = v }
        if let v = try s.int("max_in_flight", in: 1...100_000) { config.maxInFlight = v }
        if let v = try s.int("batch_size", in: 1...10_000) { config.batchSize = v }
        if let v = try s.duration("lease_ms", in: 1_000...3_600_000) { config.lease = v }
        if let problem = config.leaseProblem { throw s.fail("lease_ms", problem) }
        if let v = try s.duration("expire_sweep_ms", in: 100...3_600_000) { config.expireSweepInterval = v }
        if let v = try s.duration("max_idle_ms", in: 10...3_600_000) { config.maxIdle = v }
        if let v = try s.string("language") {
            guard config.templates.templates[v] != nil else { throw s.fail("language", "must be id or en") }
            config.language = v
        }
        if let v = try s.string("app_name") {
            guard !v.isEmpty else { throw s.fail("app_name", "must not be empty") }
            config.appName = v
        }
        if var t = try s.object("templates") { config.templates = try parseTemplates(&t) }
        if var f = try s.object("fallback_after_ms") {
            for (name, _) in f.entries() {
                guard let channel = Channel(rawValue: name) else { throw f.fail(name, "unknown channel") }
                if let v = try f.int(name, in: 100...86_400_000) { config.fallbackAfter[channel] = .milliseconds(v) }
            }
            try f.rejectUnknownKeys()
        }
        try s.rejectUnknownKeys()
        return config
    }

    /// `templates.<language>.<channel>` = `{text, subject, html}`, replacing the built-in wording
    /// of that channel and language (other channels and languages keep theirs).
    private static func parseTemplates(_ s: inout ConfigReader) throws(ConfigError) -> MessageTemplates {
        var templates = MessageTemplates.builtIn
        for (language, value) in s.entries() {
            guard let o = value as? [String: Any] else { throw s.fail(language, "must be an object") }
            var lang = ConfigReader(o, path: s.name(language))
            for (channelName, _) in lang.entries() {
                guard let channel = Channel(rawValue: channelName) else { throw lang.fail(channelName, "unknown channel") }
                guard var t = try lang.object(channelName) else { continue }
                let text = try t.requiredString("text")
                let subject = try t.string("subject"), html = try t.string("html")
                for (field, template) in [("text", text), ("subject", subject ?? ""), ("html", html ?? "")] {
                    // Identifier-like names only: CSS in an HTML template has braces too.
                    for p in TemplateRenderer.placeholders(in: template)
                    where p.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "_") }) && !["otp", "minutes", "app"].contains(p) {
                        throw t.fail(field, "unknown placeholder {\(p)}")
                    }
                }
                guard text.contains("{otp}") else { throw t.fail("text", "must contain {otp}") }
                try t.rejectUnknownKeys()
                templates[language, default: [:]][channel] = MessageTemplate(text: text, subject: subject, html: html)
            }
        }
        return MessageTemplates(templates: templates)
    }
}
