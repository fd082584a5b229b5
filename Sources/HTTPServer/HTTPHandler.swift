/// A request the server refuses before it reaches `HTTPHandler.handle` (framing, limits,
/// deadlines). The application supplies the body through `HTTPHandler.rejection`.
public enum HTTPRejection: Sendable, Equatable, CustomStringConvertible {
    /// Malformed request; `reason` is a fixed description for logs and never echoes input.
    case badRequest(reason: String)
    /// Transfer-Encoding without Content-Length, or a POST/PUT/PATCH without Content-Length.
    case lengthRequired
    /// Content-Length over `maxBodyBytes`; the body is not read.
    case payloadTooLarge
    /// Head over `maxHeadBytes` or more than `maxHeaderCount` fields.
    case headersTooLarge
    /// The head or body did not arrive within its deadline.
    case requestTimeout
    /// An HTTP version other than 1.0 or 1.1.
    case versionNotSupported
    /// The connection cap is reached.
    case tooManyConnections
    /// An `Expect` other than `100-continue`.
    case expectationFailed

    /// The status the server recommends; the application may keep or refine it.
    public var status: Int {
        switch self {
        case .badRequest: 400
        case .lengthRequired: 411
        case .payloadTooLarge: 413
        case .headersTooLarge: 431
        case .requestTimeout: 408
        case .versionNotSupported: 505
        case .tooManyConnections: 503
        case .expectationFailed: 417
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let reason): "400 bad request: \(reason)"
        case .lengthRequired: "411 length required"
        case .payloadTooLarge: "413 payload too large"
        case .headersTooLarge: "431 request header fields too large"
        case .requestTimeout: "408 request timeout"
        case .versionNotSupported: "505 HTTP version not supported"
        case .tooManyConnections: "503 too many connections"
        case .expectationFailed: "417 expectation failed"
        }
    }
}

/// The application behind an `HTTPServer`. Called on an event-loop thread: keep each call short
/// and hand slow work to another thread, then call `respond` from there.
public protocol HTTPHandler: Sendable {
    /// Called once the head has passed the server's checks, before the body is read and before
    /// `100 Continue` is sent. A non-nil response answers without reading the body.
    func head(_ head: HTTPRequestHead) -> HTTPResponse?

    /// Handles a complete request. Call `respond` exactly once, from any thread; responses on a
    /// connection are written in request order. Later calls are ignored.
    func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void)

    /// The response for a request the server refuses; the server closes the connection after it.
    func rejection(_ rejection: HTTPRejection) -> HTTPResponse
}

extension HTTPHandler {
    public func head(_ head: HTTPRequestHead) -> HTTPResponse? { nil }

    public func rejection(_ rejection: HTTPRejection) -> HTTPResponse {
        HTTPResponse(
            status: rejection.status, headers: [("Content-Type", "text/plain; charset=utf-8")],
            text: ResponseEncoder.reasonPhrase(rejection.status) + "\n", closeConnection: true)
    }
}
