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
        HTTPResponse(status: status, headers: jsonHeaders, body: Array(body.utf8), closeConnection: false)
    }

    static func accepted(id: String, status: String) -> HTTPResponse {
        var body: [UInt8] = []
        body.reserveCapacity(64)
        body.append(contentsOf: #"{"id":"#.utf8)
        JSONText.appendQuoted(id, to: &body)
        body.append(contentsOf: #","status":"#.utf8)
        JSONText.appendQuoted(status, to: &body)
        body.append(UInt8(ascii: "}"))
        return HTTPResponse(status: 200, headers: jsonHeaders, body: body, closeConnection: false)
    }

    private static let jsonHeaders = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]

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
