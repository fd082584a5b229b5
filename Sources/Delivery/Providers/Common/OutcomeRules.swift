import HTTPClient
import RelayCore

/// Classification shared by the HTTP providers: transport failures, HTTP status, `Retry-After`.
enum OutcomeRules {
    /// A failure before any response. Timeouts and resets are retryable even though the provider
    /// may have accepted the message: delivery is at-least-once, and a duplicate OTP is harmless.
    static func transport(_ e: HTTPClientError) -> DeliveryOutcome {
        switch e.kind {
        case .connect, .timeout, .tls, .tooLarge, .other:
            return .retryable(reason: "transport \(e.kind.rawValue): \(e.message)", retryAfterMillis: nil, status: nil)
        case .protocolNotAllowed, .invalidRequest, .authentication:
            return .permanent(reason: "configuration \(e.kind.rawValue): \(e.message)", status: nil)
        }
    }

    /// A response without a more specific provider error code: 2xx is the caller's business,
    /// 408/425/429/5xx are retryable, other statuses permanent.
    static func byStatus(_ r: HTTPClientResponse, provider: String, clock: any Clock) -> DeliveryOutcome {
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
    static func retryAfterMillis(_ r: HTTPClientResponse, clock: any Clock) -> Int64? {
        guard let v = r.header("Retry-After")?.trimmingASCIIWhitespace(), !v.isEmpty else { return nil }
        if v.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let secs = Int64(v.prefix(9)) else { return nil }
            return secs * 1000
        }
        guard let at = CivilTime.parseIMFFixdate(v) else { return nil }
        return max(0, at - clock.nowMillis())
    }
}
