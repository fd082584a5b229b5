import Transport

/// Why a call to SQEKYC did not succeed, classified for the outbox: `credentials` and
/// `permanent` failures will not get better by trying again; `retryable` ones may (honour
/// `retryAfterMillis`). The description names the failure, the HTTP status and SQEKYC's request
/// id; it never holds the record, the phone number or the credentials.
public struct SQEKYCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the caller should do about it.
    public enum Classification: String, Sendable {
        /// SQEKYC refused our ClientID/ClientSecret (401/403): fix the configuration.
        case credentials
        /// SQEKYC refused this request (400, 422, other 4xx) or we cannot send it at all.
        case permanent
        /// 408, 425, 429, 5xx, a malformed answer, or no answer: try again later.
        case retryable
    }

    enum Kind: Sendable, Equatable {
        case credentials(status: Int)
        case rejected(status: Int)
        case unavailable(status: Int)
        case malformedResponse(status: Int)
        case transport(TransportError.Kind, retryable: Bool, message: String)
        case invalidPhoneNumber
    }

    let kind: Kind
    /// The `Retry-After` of a 429 or 503, in milliseconds from the answer.
    public let retryAfterMillis: Int64?
    /// `meta.id` of SQEKYC's answer, when it gave one: their request id, for support tickets.
    public let requestID: String?

    init(_ kind: Kind, retryAfterMillis: Int64? = nil, requestID: String? = nil) {
        self.kind = kind
        self.retryAfterMillis = retryAfterMillis
        self.requestID = requestID
    }

    /// An error for a transport failure (no HTTP answer).
    init(transport e: TransportError) {
        switch e.kind {
        case .connect, .timeout, .tls, .tooLarge, .other:
            self.init(.transport(e.kind, retryable: true, message: e.message))
        case .protocolNotAllowed, .invalidRequest, .authentication:
            self.init(.transport(e.kind, retryable: false, message: e.message))
        }
    }

    public var classification: Classification {
        switch kind {
        case .credentials: return .credentials
        case .rejected, .invalidPhoneNumber: return .permanent
        case .unavailable, .malformedResponse: return .retryable
        case .transport(_, let retryable, _): return retryable ? .retryable : .permanent
        }
    }

    public var isRetryable: Bool { classification == .retryable }

    /// The HTTP status of SQEKYC's answer; nil when there was none.
    public var httpStatus: Int? {
        switch kind {
        case .credentials(let s), .rejected(let s), .unavailable(let s), .malformedResponse(let s): return s
        case .transport, .invalidPhoneNumber: return nil
        }
    }

    /// A short stable class for `attempts.error_class` and metrics.
    public var errorClass: String {
        switch kind {
        case .credentials: return "sqekyc_credentials"
        case .rejected: return "sqekyc_rejected"
        case .unavailable(let s): return "sqekyc_http_\(s)"
        case .malformedResponse: return "sqekyc_malformed_response"
        case .transport(let k, _, _): return "transport_\(k.rawValue)"
        case .invalidPhoneNumber: return "invalid_phone_number"
        }
    }

    public var description: String {
        let text: String
        switch kind {
        case .credentials(let s):
            text = "SQEKYC refused our credentials (HTTP \(s)): check the configured sqekyc client_id and client_secret"
        case .rejected(let s):
            text = "SQEKYC rejected the request (HTTP \(s))"
        case .unavailable(let s):
            text = "SQEKYC is unavailable (HTTP \(s))"
        case .malformedResponse(let s):
            text = "SQEKYC answered HTTP \(s) without a well-formed meta object"
        case .transport(let k, _, let message):
            text = "SQEKYC unreachable: transport \(k.rawValue): \(message)"
        case .invalidPhoneNumber:
            text = "the phone number is not an Indonesian 62… number"
        }
        return requestID.map { text + " [request id \(String($0.prefix(64)))]" } ?? text
    }
}
