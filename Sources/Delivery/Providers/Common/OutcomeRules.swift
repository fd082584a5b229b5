import RelayCore
import Transport

/// Classification shared by the HTTP providers: transport failures, HTTP status, `Retry-After`.
enum OutcomeRules {
    /// How a provider's error code is treated (the providers' code tables use it).
    ///
    /// `provider`: the provider itself cannot send (account, sender, template, payment): the next
    /// rung, counted against the breaker; `permanent` is kept for problems of the recipient.
    enum ErrorClass { case retryable, permanent, nextRoute, provider }

    /// A non-2xx response: by the provider's error code at `codePath` when the body has one (known
    /// codes by `classify`, unknown ones by status), else by status alone. The reason holds the
    /// provider and code, never the provider's message text (it can echo the recipient).
    static func errorResponse(
        _ r: HTTPClientResponse, json: [String: Any]?, codePath: String, provider: String,
        classify: (Int) -> (ErrorClass, String)?, clock: any WallClock
    ) -> DeliveryOutcome {
        guard let json, let code = ProviderJSON.int(at: codePath, in: json) else {
            return byStatus(r, provider: provider, clock: clock)
        }
        let retryAfter = retryAfterMillis(r, clock: clock)
        let reason = "\(provider) \(code)"
        if let (cls, text) = classify(code) {
            switch cls {
            case .retryable: return .retryable(reason: "\(reason): \(text)", retryAfterMillis: retryAfter, status: r.status)
            case .permanent: return .permanent(reason: "\(reason): \(text)", status: r.status)
            case .nextRoute: return .nextRoute(reason: "\(reason): \(text)", status: r.status)
            case .provider: return .providerFailure(reason: "\(reason): \(text)", status: r.status)
            }
        }
        if isRetryableStatus(r.status) {
            return .retryable(reason: reason, retryAfterMillis: retryAfter, status: r.status)
        }
        return .permanent(reason: reason, status: r.status)
    }

    /// A failure reported after acceptance (a status callback's error code), by the same table.
    /// Unknown or missing codes: another route may reach the person.
    static func receiptFailure(code: Int?, provider: String, classify: (Int) -> (ErrorClass, String)?) -> DeliveryOutcome {
        guard let code else { return .nextRoute(reason: "\(provider) failure receipt", status: nil) }
        let reason = "\(provider) \(code)"
        guard let (cls, text) = classify(code) else { return .nextRoute(reason: reason, status: nil) }
        switch cls {
        case .retryable, .nextRoute: return .nextRoute(reason: "\(reason): \(text)", status: nil)
        case .provider: return .providerFailure(reason: "\(reason): \(text)", status: nil)
        case .permanent: return .permanent(reason: "\(reason): \(text)", status: nil)
        }
    }

    /// A failure before any response. Timeouts and resets are retryable even though the provider
    /// may have accepted the message: delivery is at-least-once, and a duplicate OTP is harmless.
    static func transport(_ e: TransportError) -> DeliveryOutcome {
        switch e.kind {
        case .connect, .timeout, .tls, .tooLarge, .other:
            return .retryable(reason: "transport \(e.kind.rawValue): \(e.message)", retryAfterMillis: nil, status: nil)
        case .protocolNotAllowed, .invalidRequest, .authentication:
            return .permanent(reason: "configuration \(e.kind.rawValue): \(e.message)", status: nil)
        }
    }

    /// A response without a more specific provider error code: 2xx is the caller's business,
    /// 408/425/429/5xx are retryable, other statuses permanent.
    static func byStatus(_ r: HTTPClientResponse, provider: String, clock: any WallClock) -> DeliveryOutcome {
        let reason = "\(provider) HTTP \(r.status)"
        if isRetryableStatus(r.status) {
            return .retryable(reason: reason, retryAfterMillis: retryAfterMillis(r, clock: clock), status: r.status)
        }
        return .permanent(reason: reason, status: r.status)
    }

    static func isRetryableStatus(_ status: Int) -> Bool {
        status == 408 || status == 425 || status == 429 || (500...599).contains(status)
    }

    /// `Retry-After` as delta-seconds or an HTTP-date, in milliseconds from now (never negative).
    static func retryAfterMillis(_ r: HTTPClientResponse, clock: any WallClock) -> Int64? {
        guard let v = r.header("Retry-After")?.trimmingASCIIWhitespace(), !v.isEmpty else { return nil }
        if v.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let secs = Int64(v.prefix(9)) else { return nil }
            return secs * 1000
        }
        guard let at = CivilTime.parseIMFFixdate(v) else { return nil }
        return max(0, at - clock.nowMillis())
    }
}
