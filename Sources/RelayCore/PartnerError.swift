/// An error answered to a client in the partner's shape:
/// `{"error": "<code>", "error_description": "<human text>"}`.
/// This is the one place that maps failures to status, code and text.
public struct PartnerError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case invalidRequest(String)
        case unauthorized
        case notFound
        case methodNotAllowed(allow: String)
        case lengthRequired
        case payloadTooLarge
        case unsupportedMediaType
        case rateLimited(retryAfterSeconds: Int)
        case headersTooLarge
        case unexpected
        case unavailable(retryAfterSeconds: Int, reason: String)
        case forbidden(String)
        case conflict(String)
        case upstream(String)
    }
    let kind: Kind

    public static func invalidRequest(_ description: String) -> PartnerError { .init(kind: .invalidRequest(description)) }
    public static let unauthorized = PartnerError(kind: .unauthorized)
    public static let notFound = PartnerError(kind: .notFound)
    public static func methodNotAllowed(allow: String) -> PartnerError { .init(kind: .methodNotAllowed(allow: allow)) }
    public static let lengthRequired = PartnerError(kind: .lengthRequired)
    public static let payloadTooLarge = PartnerError(kind: .payloadTooLarge)
    public static let unsupportedMediaType = PartnerError(kind: .unsupportedMediaType)
    public static func rateLimited(retryAfterSeconds: Int) -> PartnerError {
        .init(kind: .rateLimited(retryAfterSeconds: retryAfterSeconds))
    }
    public static let headersTooLarge = PartnerError(kind: .headersTooLarge)
    public static let unexpected = PartnerError(kind: .unexpected)
    public static func unavailable(retryAfterSeconds: Int, reason: String) -> PartnerError {
        .init(kind: .unavailable(retryAfterSeconds: retryAfterSeconds, reason: reason))
    }
    public static func forbidden(_ d: String) -> PartnerError { .init(kind: .forbidden(d)) }
    public static func conflict(_ d: String) -> PartnerError { .init(kind: .conflict(d)) }
    /// A partner API behind us failed (admin read-through calls).
    public static func upstream(_ d: String) -> PartnerError { .init(kind: .upstream(d)) }

    public var status: Int {
        switch kind {
        case .invalidRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict: 409
        case .lengthRequired: 411
        case .payloadTooLarge: 413
        case .unsupportedMediaType: 415
        case .rateLimited: 429
        case .headersTooLarge: 431
        case .unexpected: 500
        case .upstream: 502
        case .unavailable: 503
        }
    }

    public var code: String { Self.code(forStatus: status) }

    /// The error code the partner table gives a status (for counting refusals by reason).
    public static func code(forStatus status: Int) -> String {
        switch status {
        case 400: "invalid_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 411: "length_required"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        case 429: "rate_limited"
        case 431: "request_header_fields_too_large"
        case 502: "upstream_error"
        case 503: "service_unavailable"
        default: "unexpected_error"
        }
    }

    public var errorDescription: String {
        switch kind {
        case .invalidRequest(let d), .forbidden(let d), .conflict(let d), .upstream(let d): d
        case .unauthorized: "Missing or invalid credentials"
        case .notFound: "No such resource"
        case .methodNotAllowed(let allow): "Method not allowed; allowed: \(allow)"
        case .lengthRequired: "A request body needs a Content-Length"
        case .payloadTooLarge: "Request body is too large"
        case .unsupportedMediaType: "Content-Type must be application/json"
        case .rateLimited: "Too many requests; retry later"
        case .headersTooLarge: "Request header fields are too large"
        case .unexpected: "Something Went Wrong"
        case .unavailable: "Service temporarily unavailable; retry later"
        }
    }

    /// Extra response headers the status requires.
    public var headers: [(String, String)] {
        switch kind {
        case .unauthorized: [("WWW-Authenticate", "Basic realm=\"otp-relay\", charset=\"UTF-8\"")]
        case .methodNotAllowed(let allow): [("Allow", allow)]
        case .rateLimited(let s): [("Retry-After", String(s))]
        case .unavailable(let s, _): [("Retry-After", String(s))]
        default: []
        }
    }

    /// The JSON body, `{"error": …, "error_description": …}`.
    public var body: [UInt8] {
        Array("{\"error\":\(JSONText.quote(code)),\"error_description\":\(JSONText.quote(errorDescription))}".utf8)
    }

    public var description: String {
        if case .unavailable(_, let reason) = kind { return "\(status) \(code): \(reason)" }
        return "\(status) \(code): \(errorDescription)"
    }
}
