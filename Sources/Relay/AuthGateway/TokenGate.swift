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
    /// For `/metrics`: JWKS fetches so far, userinfo cache entries.
    var counters: (jwksFetches: Int, cacheEntries: Int) { get }
}

/// Local verification: the partner document's "Validate on Client".
final class LocalTokenGate: TokenGate {
    let verifier: TokenVerifier

    init(verifier: TokenVerifier) { self.verifier = verifier }

    func checkWithoutWaiting(_ token: String) -> Result<GatewayIdentity, TokenError>? {
        verifier.verifyWithoutWaiting(token)?.map(GatewayIdentity.init)
    }

    func check(_ token: String) -> Result<GatewayIdentity, TokenError> {
        verifier.verify(token).map(GatewayIdentity.init)
    }

    func warmUp() {
        let keys = verifier.keys
        DispatchQueue.global().async { _ = keys.refresh() }
    }

    var counters: (jwksFetches: Int, cacheEntries: Int) { (verifier.keys.snapshot().fetches, 0) }
}
