import HTTPServer
import RelayCore
import SIMASID

/// The token gateway as the service runs it: its own listener, token gate, endpoints and metrics.
/// A `LifecycleComponent`: the service's `ServiceGroup` starts it after the admin listener and
/// stops it before.
final class AuthGateway: LifecycleComponent {
    var lifecycleName: String { "auth http" }
    let server: HTTPServer
    let handler: AuthGatewayHandler
    let metrics: AuthGatewayMetrics
    let address: ListenAddress

    init(server: HTTPServer, handler: AuthGatewayHandler, metrics: AuthGatewayMetrics, address: ListenAddress) {
        self.server = server
        self.handler = handler
        self.metrics = metrics
        self.address = address
    }

    func start() throws {
        try server.start()
        handler.gate.warmUp()
    }

    func shutdown(by deadline: Deadline) -> Bool { server.shutdown(by: deadline) }

    /// The gateway's lines of the admin `/metrics`.
    func metricsText() -> String {
        var p = PrometheusText()
        metrics.write(to: &p, handler.gate.counters)
        return p.text
    }
}

extension RelayService {
    /// The auth listener, or nil when `auth_listen` is not set.
    static func authGateway(
        _ c: Configuration, clock: any WallClock, monotonic: any MonotonicClock, logger: Logger
    ) -> AuthGateway? {
        guard let address = c.authGateway.listen, let simas = c.simasID else { return nil }
        let g = c.authGateway
        let transport = HTTPClientTokenTransport()
        let gate: any TokenGate
        switch simas.verifyMode {
        case .local:
            gate = LocalTokenGate(
                verifier: TokenVerifier(
                    configuration: simas.verifier, transport: transport, clock: clock, monotonic: monotonic, logger: logger),
                cacheEntries: g.tokenCacheMaxEntries)
        case .userinfo:
            gate = UserinfoTokenGate(
                client: UserinfoClient(url: simas.userinfoURL ?? "", transport: transport, limits: simas.verifier.limits),
                issuer: simas.verifier.issuer, ttl: g.userinfoCacheTTL, maxEntries: g.userinfoCacheMaxEntries,
                clock: clock)
        }
        let limiter = {
            SlidingWindowLimiter<String>(
                max: c.rateLimits.failedAuthMax, window: c.rateLimits.failedAuthWindow,
                maxKeys: c.rateLimits.maxTrackedKeys)
        }
        let introspection =
            g.introspectionCredentials.isEmpty
            ? nil
            : IntrospectionEndpoint(
                callers: BasicAuthenticator(credentials: g.introspectionCredentials), failedAuth: limiter(),
                clientAddress: ClientAddress(trustedProxies: Set(c.trustedProxies)), monotonic: monotonic, logger: logger)
        let kyc = c.sqekyc.map {
            KYCPrefillEndpoint(
                settings: $0, perSubjectMax: g.kycPerSubjectMax, window: g.kycPerSubjectWindow,
                maxKeys: c.rateLimits.maxTrackedKeys, clock: clock, monotonic: monotonic, logger: logger)
        }
        let metrics = AuthGatewayMetrics()
        let handler = AuthGatewayHandler(gate: gate, settings: g, introspection: introspection, kyc: kyc, metrics: metrics, logger: logger)
        var http = HTTPServerConfiguration()
        http.host = address.host
        http.port = address.port
        http.eventLoops = c.http.eventLoops
        http.maxBodyBytes = 16 * 1024
        http.idleTimeout = c.http.idleTimeout
        let server = HTTPServer(
            name: "auth http", configuration: http, handler: handler, logger: logger.with(["server": "auth"]))
        return AuthGateway(server: server, handler: handler, metrics: metrics, address: address)
    }
}
