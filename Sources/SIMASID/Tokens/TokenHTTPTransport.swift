/// A response as the token code needs it: status, headers, body.
public struct TokenHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// The request could not be made or no response arrived (DNS, connect, TLS, timeout, size limit).
public struct TokenTransportError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// How the JWKS and userinfo clients make GET requests. `HTTPClientTokenTransport` is the libcurl
/// implementation; tests may supply their own. Implementations are blocking and must be safe to
/// call from several threads.
public protocol TokenHTTPTransport: Sendable {
    func get(_ url: String, headers: [(name: String, value: String)]) throws(TokenTransportError) -> TokenHTTPResponse
}
