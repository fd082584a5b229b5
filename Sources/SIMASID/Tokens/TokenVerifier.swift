import RelayCore

/// Validates SIMAS-ID access tokens locally, as the partner document asks of every BU backend:
/// compact JWS checks, an RS256 signature against the issuer's JWKS, then the claims.
///
/// Thread-safe; share one per issuer. A warm verification (key cached) costs one RSA verification
/// and no I/O. A token naming a `kid` not yet seen may block its caller on one JWKS fetch (bounded
/// by the transport timeout, see `JWKSClient`), so call `verify` from a worker thread rather than
/// an event loop, and call `keys.refresh()` at start-up so the first request finds the keys.
public final class TokenVerifier: Sendable {
    public let configuration: TokenVerifierConfiguration
    public let keys: JWKSClient
    private let claims: ClaimsValidator
    private let clock: any WallClock

    public convenience init(
        configuration: TokenVerifierConfiguration, transport: any TokenHTTPTransport,
        clock: any WallClock = SystemClock(), monotonic: any MonotonicClock = SystemMonotonicClock(), logger: Logger = .silent
    ) {
        self.init(
            configuration: configuration,
            keys: JWKSClient(
                uri: configuration.jwksURI, policy: configuration.jwks, transport: transport,
                clock: monotonic, logger: logger),
            clock: clock)
    }

    /// Shares a key cache, e.g. between verifiers for several client ids of one issuer.
    public init(configuration: TokenVerifierConfiguration, keys: JWKSClient, clock: any WallClock = SystemClock()) {
        self.configuration = configuration
        self.keys = keys
        self.claims = ClaimsValidator(configuration)
        self.clock = clock
    }

    /// The verified token, or the first check it failed.
    public func verify(_ token: String) -> Result<VerifiedToken, TokenError> {
        do {
            return .success(try verifyOrThrow(token))
        } catch {
            return .failure(error)
        }
    }

    /// Order matters: shape and header policy (algorithm allow-list first) before any key is
    /// touched, the signature before the claims are even parsed.
    public func verifyOrThrow(_ token: String) throws(TokenError) -> VerifiedToken {
        let jws = try CompactJWS.parse(token, limits: configuration.limits)
        return try check(jws, key: try keys.key(for: jws.keyID).get())
    }

    /// `verify` when it can be answered without I/O: nil when the token's key is not in a fresh
    /// cached set (the caller then calls `verify` off its event loop). A token refused before any
    /// key is needed (shape, header policy) is answered here too.
    public func verifyWithoutWaiting(_ token: String) -> Result<VerifiedToken, TokenError>? {
        do throws(TokenError) {
            let jws = try CompactJWS.parse(token, limits: configuration.limits)
            guard let key = keys.cachedKey(for: jws.keyID) else { return nil }
            return .success(try check(jws, key: key))
        } catch {
            return .failure(error)
        }
    }

    /// `verifyWithoutWaiting` through `cache`: a token verified before under the current key set
    /// is answered from it (its times judged again), any other is verified in full and, when it
    /// passes, `transform`ed and remembered. One cache per verifier.
    public func verifyWithoutWaiting<Value>(
        _ token: String, cache: VerifiedTokenCache<Value>, _ transform: (VerifiedToken) -> Value
    ) -> Result<Value, TokenError>? {
        guard token.utf8.count <= configuration.limits.maxTokenBytes else { return verifyWithoutWaiting(token).map { $0.map(transform) } }
        let digest = TokenDigest(token)
        if let hit = cached(digest, cache) { return hit }
        do throws(TokenError) {
            let jws = try CompactJWS.parse(token, limits: configuration.limits)
            guard let (key, generation) = keys.cachedKeyAndGeneration(for: jws.keyID) else { return nil }
            return .success(remember(try check(jws, key: key), digest, generation, cache, transform))
        } catch {
            return .failure(error)
        }
    }

    /// `verify` through `cache` (see `verifyWithoutWaiting(_:cache:_:)`); may block on a JWKS fetch.
    /// A token is remembered only when the key set was fresh and unchanged around its verification.
    public func verify<Value>(
        _ token: String, cache: VerifiedTokenCache<Value>, _ transform: (VerifiedToken) -> Value
    ) -> Result<Value, TokenError> {
        guard token.utf8.count <= configuration.limits.maxTokenBytes else { return verify(token).map(transform) }
        let digest = TokenDigest(token)
        if let hit = cached(digest, cache) { return hit }
        let before = keys.freshGeneration()
        do throws(TokenError) {
            let verified = try verifyOrThrow(token)
            guard let before, keys.freshGeneration() == before else { return .success(transform(verified)) }
            return .success(remember(verified, digest, before, cache, transform))
        } catch {
            return .failure(error)
        }
    }

    private func cached<Value>(_ digest: TokenDigest, _ cache: VerifiedTokenCache<Value>) -> Result<Value, TokenError>? {
        guard let generation = keys.freshGeneration(), let hit = cache.lookup(digest, generation: generation) else { return nil }
        do throws(TokenError) {
            try claims.checkTimes(exp: hit.exp, nbf: hit.nbf, iat: hit.iat, nowMillis: clock.nowMillis())
            return .success(hit.value)
        } catch {
            cache.remove(digest)
            return .failure(error)
        }
    }

    private func remember<Value>(
        _ t: VerifiedToken, _ digest: TokenDigest, _ generation: UInt64, _ cache: VerifiedTokenCache<Value>,
        _ transform: (VerifiedToken) -> Value
    ) -> Value {
        let value = transform(t)
        cache.insert(digest, generation: generation, value: value, exp: t.expiresAt, nbf: t.notBefore, iat: t.issuedAt)
        return value
    }

    private func check(_ jws: CompactJWS, key: RSAPublicKey) throws(TokenError) -> VerifiedToken {
        guard jws.signature.count == (key.bits + 7) / 8 else {
            throw TokenError(
                .signatureInvalid, "signature is \(jws.signature.count) bytes, a \(key.bits)-bit RS256 signature is \((key.bits + 7) / 8)")
        }
        guard key.verifyRS256(signature: jws.signature, message: jws.signingInput) else {
            throw TokenError(.signatureInvalid, "RS256 signature does not verify with key \(TokenError.quoted(jws.keyID))")
        }
        return try claims.validate(payload: jws.payload, keyID: jws.keyID, nowMillis: clock.nowMillis())
    }
}
