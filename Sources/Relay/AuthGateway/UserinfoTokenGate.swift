import Foundation
import RelayCore
import RelayCrypto
import SIMASID
import Synchronization

/// The partner document's slower alternative, "Validate to SIMAS-ID": a token is valid when
/// SIMAS-ID's userinfo endpoint accepts it. A positive answer is cached, keyed by the SHA-256 of
/// the token (the token itself is never kept), until the token's `exp` or the TTL, whichever
/// comes first; refusals are not cached. The cache holds at most `maxEntries` answers.
///
/// `sub` and `preferred_username` come from userinfo. `exp`, `azp`, `aud` and the roles come
/// from the token's payload when it is a JWS: SIMAS-ID has just accepted exactly these bytes, so
/// its payload is the one SIMAS-ID issued.
final class UserinfoTokenGate: TokenGate {
    private let client: UserinfoClient
    private let issuer: String
    private let ttlMillis: Int64
    private let maxEntries: Int
    private let clock: any WallClock
    private let cache = Mutex<[[UInt8]: Entry]>([:])

    struct Entry {
        let identity: GatewayIdentity
        let until: Int64
    }

    init(client: UserinfoClient, issuer: String, ttl: Duration, maxEntries: Int, clock: any WallClock) {
        self.client = client
        self.issuer = issuer
        self.ttlMillis = ttl.wholeMilliseconds
        self.maxEntries = maxEntries
        self.clock = clock
    }

    func checkWithoutWaiting(_ token: String) -> Result<GatewayIdentity, TokenError>? {
        let key = Crypto.sha256(token.utf8)
        let now = clock.nowMillis()
        return cache.withLock { c in
            guard let e = c[key] else { return nil }
            guard now < e.until else {
                c[key] = nil
                return nil
            }
            return .success(e.identity)
        }
    }

    func check(_ token: String) -> Result<GatewayIdentity, TokenError> {
        if let cached = checkWithoutWaiting(token) { return cached }
        let now = clock.nowMillis()
        let payload = Self.payload(token)
        let exp = (payload?["exp"] as? NSNumber)?.doubleValue
        if let exp, Double(now) / 1000 >= exp {
            return .failure(TokenError(.expired, "the token's exp has passed"))
        }
        switch client.fetch(token) {
        case .failure(let e):
            return .failure(e)
        case .success(let info):
            let identity = Self.identity(info, payload: payload, issuer: issuer)
            var until = now + ttlMillis
            if let exp { until = min(until, Int64(exp * 1000)) }
            if until > now && maxEntries > 0 {
                let key = Crypto.sha256(token.utf8)
                cache.withLock { c in
                    if c.count >= maxEntries { Self.evict(&c, now: now, maxEntries: maxEntries) }
                    c[key] = Entry(identity: identity, until: until)
                }
            }
            return .success(identity)
        }
    }

    func warmUp() {}

    var counters: TokenGateCounters { TokenGateCounters(userinfoCacheEntries: cache.withLock { $0.count }) }

    /// Makes room for new answers: drops the expired ones and, when more than seven eighths of
    /// `maxEntries` are left, arbitrary ones down to that (a dropped answer only costs one more
    /// userinfo call). The scan of the whole cache, under its lock, then runs once per
    /// `maxEntries / 8` new answers, not for every one of a full cache.
    static func evict(_ c: inout [[UInt8]: Entry], now: Int64, maxEntries: Int) {
        c = c.filter { now < $0.value.until }
        let keep = maxEntries - max(1, maxEntries / 8)
        guard c.count > keep else { return }
        for key in Array(c.keys.prefix(c.count - keep)) { c[key] = nil }
    }

    static func identity(_ info: UserinfoClaims, payload: [String: Any]?, issuer: String) -> GatewayIdentity {
        let p = payload ?? [:]
        let aud: [String] = (p["aud"] as? String).map { [$0] } ?? (p["aud"] as? [Any])?.compactMap { $0 as? String } ?? []
        let realm = ((p["realm_access"] as? [String: Any])?["roles"] as? [Any])?.compactMap { $0 as? String } ?? []
        var resource: [String: JSONValue] = [:]
        for (client, v) in (p["resource_access"] as? [String: Any]) ?? [:] {
            let roles = ((v as? [String: Any])?["roles"] as? [Any])?.compactMap { $0 as? String } ?? []
            resource[client] = .object(["roles": .array(roles.map { .string($0) })])
        }
        return GatewayIdentity(
            subject: info.subject, username: info.preferredUsername, client: p["azp"] as? String,
            expiresAt: (p["exp"] as? NSNumber).flatMap { GatewayIdentity.seconds($0.doubleValue) },
            issuedAt: (p["iat"] as? NSNumber).flatMap { GatewayIdentity.seconds($0.doubleValue) },
            issuer: issuer, audience: aud,
            roles: GatewayIdentity.roles(realm: realm, resourceAccess: resource))
    }

    /// The claims of a compact JWS, unverified (SIMAS-ID judges the token); nil for anything else.
    static func payload(_ token: String) -> [String: Any]? {
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].count <= 8192, let bytes = try? Base64URL.decode(parts[1]) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }
}
