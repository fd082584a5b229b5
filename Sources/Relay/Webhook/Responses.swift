import HTTPServer
import RelayCore

/// Builds HTTP responses; the partner error shape comes from `PartnerError` alone.
enum Responses {
    static func error(_ e: PartnerError, close: Bool = false) -> HTTPResponse {
        var headers = e.headers
        headers.append(("Content-Type", "application/json"))
        headers.append(("Cache-Control", "no-store"))
        return HTTPResponse(status: e.status, headers: headers, body: e.body, closeConnection: close)
    }

    static func json(_ status: Int, _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                     body: Array(body.utf8), closeConnection: false)
    }

    static func accepted(id: String, status: String) -> HTTPResponse {
        json(200, "{\"id\":\(JSONText.quote(id)),\"status\":\(JSONText.quote(status))}")
    }

    /// The partner-shaped body for a framing error found by the HTTP server.
    static func rejection(_ r: HTTPRejection) -> HTTPResponse {
        switch r {
        case .lengthRequired: return error(.lengthRequired, close: true)
        case .payloadTooLarge: return error(.payloadTooLarge, close: true)
        case .headersTooLarge: return error(.headersTooLarge, close: true)
        case .tooManyConnections: return error(.unavailable(retryAfterSeconds: 1, reason: "connection cap"), close: true)
        case .requestTimeout: return error(.invalidRequest("The request was not received in time"), close: true)
        case .versionNotSupported: return error(.invalidRequest("Only HTTP/1.1 and HTTP/1.0 are supported"), close: true)
        case .expectationFailed: return error(.invalidRequest("Only \"Expect: 100-continue\" is supported"), close: true)
        case .badRequest: return error(.invalidRequest("The request is malformed"), close: true)
        }
    }
}
