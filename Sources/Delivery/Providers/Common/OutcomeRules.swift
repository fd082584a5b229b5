import RelayCore
import Transport

/// Classification shared by the HTTP providers: transport failures, HTTP status, `Retry-After`.
enum OutcomeRules {
    /// How a provider's error code is treated (the providers' code tables use it).
    enum ErrorClass { case retryable, permanent, nextRoute }

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
            }
        }
        if isRetryableStatus(r.status) {
            return .retryable(reason: reason, retryAfterMillis: retryAfter, status: r.status)
        }
        return .permanent(reason: reason, status: r.status)
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
