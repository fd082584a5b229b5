import Synchronization

/// Counters of the auth listener for the admin `/metrics`: decisions by endpoint, result and
/// reason (the failed check, never a token or a claim), and a latency histogram of the decision
/// (token check and policy; for `/v1/me/kyc` the SQEKYC call too).
final class AuthGatewayMetrics: Sendable {
    enum Result: String, Sendable { case allowed, denied, forbidden, unavailable, limited }

    struct Key: Hashable, Sendable {
        let endpoint: String
        let result: String
        let reason: String
    }

    /// Upper bounds in seconds of the histogram buckets (`+Inf` is implied).
    static let bounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    private struct State {
        var counts: [Key: UInt64] = [:]
        var latency = PrometheusHistogram(bounds: AuthGatewayMetrics.bounds)
    }

    private let state = Mutex(State())

    init() {}

    func record(_ endpoint: String, _ result: Result, reason: String, nanos: UInt64) {
        state.withLock { s in
            s.counts[Key(endpoint: endpoint, result: result.rawValue, reason: reason), default: 0] += 1
            s.latency.observe(Double(nanos) / 1e9)
        }
    }

    /// The count for one key (tests).
    func count(_ endpoint: String, _ result: Result, reason: String) -> UInt64 {
        state.withLock { $0.counts[Key(endpoint: endpoint, result: result.rawValue, reason: reason)] ?? 0 }
    }

    func write(to p: inout PrometheusText, _ gate: TokenGateCounters) {
        let s = state.withLock { $0 }
        p.family("otp_relay_auth_verifications_total", "counter", "Auth listener decisions by endpoint, result and reason.")
        for (k, n) in s.counts.sorted(by: {
            ($0.key.endpoint, $0.key.result, $0.key.reason) < ($1.key.endpoint, $1.key.result, $1.key.reason)
        }) {
            p.sample(
                "otp_relay_auth_verifications_total", [("endpoint", k.endpoint), ("result", k.result), ("reason", k.reason)], Double(n))
        }
        p.histogram("otp_relay_auth_verification_seconds", "Time from request to decision on the auth listener.", s.latency)
        p.family("otp_relay_auth_jwks_fetches_total", "counter", "JWKS fetches made by the auth listener's verifier.")
        p.sample("otp_relay_auth_jwks_fetches_total", [], Double(gate.jwksFetches))
        p.family("otp_relay_auth_userinfo_cache_entries", "gauge", "Userinfo answers cached (userinfo mode).")
        p.sample("otp_relay_auth_userinfo_cache_entries", [], Double(gate.userinfoCacheEntries))
        guard let t = gate.tokenCache else { return }
        p.family("otp_relay_auth_token_cache_entries", "gauge", "Verified tokens cached (by digest) for their lifetime.")
        p.sample("otp_relay_auth_token_cache_entries", [], Double(t.entries))
        p.family("otp_relay_auth_token_cache_lookups_total", "counter", "Verified-token cache lookups by result.")
        p.sample("otp_relay_auth_token_cache_lookups_total", [("result", "hit")], Double(t.hits))
        p.sample("otp_relay_auth_token_cache_lookups_total", [("result", "miss")], Double(t.misses))
        p.family("otp_relay_auth_token_cache_evictions_total", "counter", "Verified tokens dropped to keep the cache bounded.")
        p.sample("otp_relay_auth_token_cache_evictions_total", [], Double(t.evictions))
        p.family("otp_relay_auth_token_cache_flushes_total", "counter", "Cache emptied because a JWKS refresh retired a key.")
        p.sample("otp_relay_auth_token_cache_flushes_total", [], Double(t.flushes))
    }
}
