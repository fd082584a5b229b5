import Dispatch
import RelayCore
import Synchronization

/// The issuer's signing keys, fetched from its JWKS URI and cached.
///
/// - The set is trusted for the response's `Cache-Control: max-age`, clamped to the policy bounds.
/// - A `kid` not in the set triggers a refresh, but no two fetches start within the cooldown, and
///   only one runs at a time: callers needing a new key wait for it, callers whose key is cached
///   keep using the current set.
/// - A set past its lifetime is refreshed in the background by the first caller after expiry while
///   callers keep using it; a failed refresh keeps the last good set, keys that vanish from a
///   successful one are dropped.
/// - `generation` changes when a successful refresh drops or replaces a key the set had (a key
///   added changes nothing): what a `VerifiedTokenCache` is valid for.
public final class JWKSClient: Sendable {
    public let uri: String
    public let policy: JWKSCachePolicy
    private let transport: any TokenHTTPTransport
    /// The set's lifetime and the refresh cooldown run on it: a wall step neither expires the set
    /// early nor keeps it past its lifetime. (Tokens' `exp`/`nbf` are judged on the wall clock.)
    private let clock: any MonotonicClock
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var set: JSONWebKeySet?
        var expiresAt: Int64 = 0
        var lastAttemptAt: Int64?
        var lastFailure: String?
        var inFlight: DispatchGroup?
        var fetches = 0
        var failures = 0
        var generation: UInt64 = 0
    }

    /// What the cache holds, for readiness checks, metrics and tests.
    public struct Snapshot: Sendable, Equatable {
        public let keyIDs: [String]
        public let refusedKeyIDs: [String]
        /// The client's monotonic ms after which the set is refreshed on next use; 0 before the first fetch.
        public let expiresAtMillis: Int64
        public let fetches: Int
        public let failures: Int
        public let lastFailure: String?
        public let refreshing: Bool
    }

    public init(
        uri: String, policy: JWKSCachePolicy = JWKSCachePolicy(), transport: any TokenHTTPTransport,
        clock: any MonotonicClock = SystemMonotonicClock(), logger: Logger = .silent
    ) {
        self.uri = uri
        self.policy = policy
        self.transport = transport
        self.clock = clock
        self.logger = logger
    }

    public func snapshot() -> Snapshot {
        state.withLock { s in
            Snapshot(
                keyIDs: s.set.map { $0.keys.keys.sorted() } ?? [], refusedKeyIDs: s.set.map { $0.refused.keys.sorted() } ?? [],
                expiresAtMillis: s.expiresAt, fetches: s.fetches, failures: s.failures, lastFailure: s.lastFailure,
                refreshing: s.inFlight != nil)
        }
    }

    private enum Step {
        case done(Result<RSAPublicKey, TokenError>)
        case wait(DispatchGroup)
        case fetch(DispatchGroup, fallback: RSAPublicKey?)
    }

    /// The key for `kid`, from the cache when possible; may block on one fetch.
    public func key(for kid: String) -> Result<RSAPublicKey, TokenError> {
        let now = clock.elapsedMillis()
        switch state.withLock({ plan(&$0, kid: kid, now: now) }) {
        case .done(let result):
            return result
        case .wait(let group):
            _ = group.wait(timeout: .now() + .seconds(Int(policy.fetchWaitSeconds)))
            return state.withLock { lookup($0, kid: kid, now: now) }
        case .fetch(let group, let stale?):
            // The set is past its lifetime but holds this key: answer now, refresh in the
            // background (a failed refresh keeps the set, a successful one may retire the key).
            DispatchQueue.global().async { _ = self.complete(group, kid: nil) }
            return .success(stale)
        case .fetch(let group, nil):
            return complete(group, kid: kid)
        }
    }

    /// The key for `kid` when the cached set is fresh and holds it; nil otherwise. Never fetches
    /// and never waits, so an event loop may call it (`TokenVerifier.verifyWithoutWaiting`).
    public func cachedKey(for kid: String) -> RSAPublicKey? { cachedKeyAndGeneration(for: kid)?.key }

    /// `cachedKey(for:)` and the generation of the set it came from, read together.
    public func cachedKeyAndGeneration(for kid: String) -> (key: RSAPublicKey, generation: UInt64)? {
        let now = clock.elapsedMillis()
        return state.withLock { s in
            guard now < s.expiresAt, let key = s.set?.keys[kid] else { return nil }
            return (key, s.generation)
        }
    }

    /// The generation of the cached set when it is fresh; nil before the first fetch and while
    /// the set is past its lifetime (then tokens are judged against the keys, not a cache).
    public func freshGeneration() -> UInt64? {
        let now = clock.elapsedMillis()
        return state.withLock { s in s.set != nil && now < s.expiresAt ? s.generation : nil }
    }

    /// Fetches now, ignoring the cooldown (or waits for the fetch in flight): for start-up and
    /// operators, not for request paths. Returns the number of usable keys.
    @discardableResult
    public func refresh() -> Result<Int, TokenError> {
        let now = clock.elapsedMillis()
        let step: Step = state.withLock { s in
            if let group = s.inFlight { return .wait(group) }
            return begin(&s, now: now, fallback: nil)
        }
        switch step {
        case .wait(let group): _ = group.wait(timeout: .now() + .seconds(Int(policy.fetchWaitSeconds)))
        case .fetch(let group, _): _ = complete(group, kid: nil)
        case .done: break
        }
        return state.withLock { s in
            guard let set = s.set else { return .failure(Self.unavailable(s, uri: uri)) }
            return s.lastFailure.map { .failure(TokenError(.keysUnavailable, "JWKS refresh from \(uri) failed: \($0)")) }
                ?? .success(set.keys.count)
        }
    }

    /// Decides, under the lock, whether `kid` is answered from the cache, waits, or fetches.
    private func plan(_ s: inout State, kid: String, now: Int64) -> Step {
        let fresh = s.set != nil && now < s.expiresAt
        // A clock behind the last attempt (a test's stepped clock) must not lock refreshes out.
        let mayFetch = s.lastAttemptAt.map { now - $0 >= policy.refreshCooldownSeconds * 1000 || now < $0 } ?? true
        if let set = s.set {
            if let key = set.keys[kid] {
                if fresh || s.inFlight != nil || !mayFetch { return .done(.success(key)) }
                return begin(&s, now: now, fallback: key)
            }
            if fresh, let refused = set.refused[kid] { return .done(.failure(refused)) }
        }
        if let group = s.inFlight { return .wait(group) }
        if mayFetch { return begin(&s, now: now, fallback: nil) }
        return .done(lookup(s, kid: kid, now: now))
    }

    private func begin(_ s: inout State, now: Int64, fallback: RSAPublicKey?) -> Step {
        let group = DispatchGroup()
        group.enter()
        s.inFlight = group
        s.lastAttemptAt = now
        return .fetch(group, fallback: fallback)
    }

    /// Runs the fetch outside the lock, stores the outcome, wakes the waiters, answers for `kid`
    /// from the new set, or from the last good one when the fetch failed.
    private func complete(_ group: DispatchGroup, kid: String?) -> Result<RSAPublicKey, TokenError> {
        let outcome = fetch()
        let done = clock.elapsedMillis()
        let result: Result<RSAPublicKey, TokenError> = state.withLock { s in
            s.inFlight = nil
            s.fetches += 1
            switch outcome {
            case .success(let (set, ttl)):
                if s.set.map({ Self.retiresKeys(old: $0, new: set) }) ?? true { s.generation &+= 1 }
                s.set = set
                s.expiresAt = done + ttl * 1000
                s.lastFailure = nil
                return lookup(s, kid: kid ?? "", now: done)
            case .failure(let error):
                s.failures += 1
                s.lastFailure = error.description
                return lookup(s, kid: kid ?? "", now: done)
            }
        }
        group.leave()
        return result
    }

    /// Whether `new` lacks a key `old` had, or holds different key material under its kid.
    static func retiresKeys(old: JSONWebKeySet, new: JSONWebKeySet) -> Bool {
        old.keys.contains { kid, key in new.keys[kid].map { !$0.sameKey(as: key) } ?? true }
    }

    /// Answers from whatever set is cached, without fetching.
    private func lookup(_ s: State, kid: String, now: Int64) -> Result<RSAPublicKey, TokenError> {
        guard let set = s.set else { return .failure(Self.unavailable(s, uri: uri)) }
        if let key = set.keys[kid] { return .success(key) }
        if let refused = set.refused[kid] { return .failure(refused) }
        let next = max(0, (s.lastAttemptAt ?? now) + policy.refreshCooldownSeconds * 1000 - now)
        var detail = "kid \(TokenError.quoted(kid)) is not in the JWKS from \(uri) (\(set.keys.count) signing keys"
        if let failure = s.lastFailure { detail += "; the last refresh failed: \(failure)" }
        detail += next > 0 ? "; next refresh allowed in \((next + 999) / 1000) s)" : ")"
        return .failure(TokenError(.unknownKeyID, detail))
    }

    private static func unavailable(_ s: State, uri: String) -> TokenError {
        TokenError(.keysUnavailable, "no JWKS could be fetched from \(uri)\(s.lastFailure.map { ": \($0)" } ?? "")")
    }

    private func fetch() -> Result<(JSONWebKeySet, Int64), TokenTransportError> {
        let response: TokenHTTPResponse
        do {
            response = try transport.get(uri, headers: [(name: "Accept", value: "application/json")])
        } catch {
            return failed(error)
        }
        guard response.status == 200 else { return failed(TokenTransportError("HTTP status \(response.status)")) }
        guard response.body.count <= policy.maxBodyBytes else {
            return failed(TokenTransportError("body of \(response.body.count) bytes is over the \(policy.maxBodyBytes)-byte limit"))
        }
        let set: JSONWebKeySet
        do {
            set = try JSONWebKeySet.parse(response.body)
        } catch {
            return failed(TokenTransportError(error.description))
        }
        // Encryption and non-RSA keys are normal in a Keycloak JWKS; a weak signing key is not.
        for (kid, why) in set.refused.sorted(by: { $0.key < $1.key }) {
            logger.log(
                why.check == .keyTooSmall ? .warning : .debug, "simasid.jwks.key_refused",
                ["kid": .string(String(kid.prefix(64))), "reason": .string(why.detail)])
        }
        guard !set.keys.isEmpty else { return failed(TokenTransportError("no usable RS256 signing key in the JWKS")) }
        let ttl = policy.ttlSeconds(cacheControl: response.header("Cache-Control"))
        logger.info(
            "simasid.jwks.refreshed",
            [
                "uri": .string(uri), "keys": .int(Int64(set.keys.count)),
                "refused": .int(Int64(set.refused.count)), "ttl_s": .int(ttl),
            ])
        return .success((set, ttl))
    }

    private func failed(_ error: TokenTransportError) -> Result<(JSONWebKeySet, Int64), TokenTransportError> {
        logger.warning("simasid.jwks.refresh_failed", ["uri": .string(uri), "error": .string(error.description)])
        return .failure(error)
    }
}
