import CCurl
import RelayCore

/// A blocking HTTP/1.1 client on one libcurl easy handle.
///
/// Not Sendable: make one per worker thread. Consecutive requests reuse the handle and with it
/// the open connection. TLS verification is always on; `http://` is allowed only to loopback
/// (see `HTTPClientConfiguration.allowPlainHTTPToLoopback`); redirects are never followed.
public final class HTTPClient {
    public let configuration: HTTPClientConfiguration
    private let easy = CurlEasy()

    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        self.configuration = configuration
    }

    /// Lets another thread use the client from now on (a pool handing idle clients on). The thread
    /// that uses it first owns it; a debug build traps on a use from any other thread.
    public func releaseThread() { easy.releaseOwner() }

    /// Sends the request and waits for the whole response. Any HTTP status is a response;
    /// only transport failures throw.
    public func perform(_ request: HTTPClientRequest) throws(TransportError) -> HTTPClientResponse {
        let resources = try HTTPTransferSetup.configure(easy, request: request, configuration: configuration)
        let start = monotonicNanos()
        let code = withExtendedLifetime(resources) { easy.perform() }
        let elapsed = Int64((monotonicNanos() - start) / 1_000_000)
        return try HTTPTransferSetup.response(easy, code: code, resources: resources, elapsedMillis: elapsed).get()
    }
}
