import Synchronization
import Transport

/// `TokenHTTPTransport` on the libcurl `HTTPClient`. An `HTTPClient` serves one thread at a time,
/// so idle clients wait in a small pool: a caller takes one (or makes one), uses it alone, and
/// puts it back, which keeps the connection to the IdP warm for the next call.
public final class HTTPClientTokenTransport: TokenHTTPTransport {
    public static let defaultConfiguration = HTTPClientConfiguration(
        connectTimeoutMillis: 3_000, totalTimeoutMillis: 5_000, maxResponseBytes: 256 << 10)
    public static let defaultMaxIdleClients = 4

    public let configuration: HTTPClientConfiguration
    private let maxIdle: Int
    private let idle = Mutex<[Confined]>([])

    /// An `HTTPClient` that is in the pool (used by nobody) or held by exactly one caller.
    /// `@unchecked Sendable`: the pool hands each one to a single thread at a time, under `idle`.
    private final class Confined: @unchecked Sendable {
        let client: HTTPClient
        init(_ client: HTTPClient) { self.client = client }
    }

    public init(configuration: HTTPClientConfiguration = defaultConfiguration, maxIdleClients: Int = defaultMaxIdleClients) {
        self.configuration = configuration
        self.maxIdle = maxIdleClients
    }

    public func get(_ url: String, headers: [(name: String, value: String)]) throws(TokenTransportError) -> TokenHTTPResponse {
        let held = idle.withLock { $0.popLast() } ?? Confined(HTTPClient(configuration: configuration))
        let request = HTTPClientRequest(method: "GET", url: url, headers: headers.map { ($0.name, $0.value) })
        let response: HTTPClientResponse
        do {
            response = try held.client.perform(request)
        } catch {
            // A failed handle is dropped rather than pooled; the next call starts clean.
            throw TokenTransportError(error.description)
        }
        held.client.releaseThread()  // the next caller to take it may be another thread
        idle.withLock { if $0.count < maxIdle { $0.append(held) } }
        return TokenHTTPResponse(
            status: response.status, headers: response.headers.map { (name: $0.0, value: $0.1) },
            body: response.body)
    }
}
