import Dispatch
import SIMASID

/// How the auth listener judges a bearer token: the local verifier (JWKS, RS256, claims) or the
/// userinfo client with its cache. `checkWithoutWaiting` answers on the event loop when no I/O is
/// needed (keys cached, userinfo answer cached) and returns nil otherwise; `check` may block on a
/// JWKS fetch or a userinfo call and runs on the gateway's worker queue.
protocol TokenGate: Sendable {
    func checkWithoutWaiting(_ token: String) -> Result<GatewayIdentity, TokenError>?
    func check(_ token: String) -> Result<GatewayIdentity, TokenError>
    /// Start-up work (the first JWKS fetch), off the caller's thread.
    func warmUp()
    /// For `/metrics`.
    var counters: TokenGateCounters { get }
}

/// What `/metrics` shows of a gate: JWKS fetches, userinfo cache entries (userinfo mode), the
/// verified-token cache (local mode).
struct TokenGateCounters: Sendable, Equatable {
    var jwksFetches = 0
    var userinfoCacheEntries = 0
    var tokenCache: VerifiedTokenCache<GatewayIdentity>.Statistics?
}

/// Local verification: the partner document's "Validate on Client". With a cache (the default,
/// `auth_gateway.token_cache_max_entries`), a token already verified under the current key set
/// skips parsing and RSA (`VerifiedTokenCache`: keyed by its SHA-256, until its `exp`, emptied when
/// a key is retired).
final class LocalTokenGate: TokenGate {
    let verifier: TokenVerifier
    let cache: VerifiedTokenCache<GatewayIdentity>?

    init(verifier: TokenVerifier, cacheEntries: Int = AuthGatewaySettings.defaultTokenCacheMaxEntries) {
        self.verifier = verifier
        self.cache = cacheEntries > 0 ? VerifiedTokenCache(capacity: cacheEntries) : nil
    }

    func checkWithoutWaiting(_ token: String) -> Result<GatewayIdentity, TokenError>? {
        guard let cache else { return verifier.verifyWithoutWaiting(token)?.map(GatewayIdentity.init) }
        return verifier.verifyWithoutWaiting(token, cache: cache, GatewayIdentity.init)
    }

    func check(_ token: String) -> Result<GatewayIdentity, TokenError> {
        guard let cache else { return verifier.verify(token).map(GatewayIdentity.init) }
        return verifier.verify(token, cache: cache, GatewayIdentity.init)
    }

    func warmUp() {
        let keys = verifier.keys
        DispatchQueue.global().async { _ = keys.refresh() }
    }

    var counters: TokenGateCounters {
        TokenGateCounters(jwksFetches: verifier.keys.snapshot().fetches, tokenCache: cache?.statistics())
    }
}
