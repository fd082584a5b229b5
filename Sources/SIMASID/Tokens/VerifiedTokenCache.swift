import CCrypto
import Synchronization

/// The SHA-256 of a token's bytes: how `VerifiedTokenCache` knows a token without keeping it.
/// Equality compares all 32 bytes without an early exit.
public struct TokenDigest: Hashable, Sendable {
    let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    public init(_ token: String) {
        var t = token
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        t.withUTF8 { bytes in
            withUnsafeMutableBytes(of: &w) { out in
                var length: UInt32 = 0
                let ok = EVP_Digest(
                    bytes.baseAddress, bytes.count, out.baseAddress?.assumingMemoryBound(to: UInt8.self), &length,
                    TokenDigest.sha256.md, nil)
                // A digest that cannot be computed cannot be left at zero (all tokens would share it).
                precondition(ok == 1 && length == 32, "SHA-256 failed in libcrypto")
            }
        }
        (w0, w1, w2, w3) = w
    }

    public static func == (a: TokenDigest, b: TokenDigest) -> Bool {
        ((a.w0 ^ b.w0) | (a.w1 ^ b.w1) | (a.w2 ^ b.w2) | (a.w3 ^ b.w3)) == 0
    }

    public func hash(into h: inout Hasher) {
        h.combine(w0)
        h.combine(w1)
    }

    /// `@unchecked Sendable`: an `EVP_MD` is immutable once fetched and never freed.
    private struct MD: @unchecked Sendable { let md: OpaquePointer? }
    private static let sha256 = MD(md: EVP_MD_fetch(nil, "SHA256", nil))
}

/// Tokens that passed every check of one `TokenVerifier`, so that the same token presented again
/// costs a SHA-256 and a table lookup instead of parsing and an RSA verification.
///
/// - Keyed by the token's SHA-256 (`TokenDigest`); the token itself is never kept. A token that
///   differs in any byte (a forged signature on a copied header and payload) has another digest.
/// - An entry holds the token's `exp`, `nbf` and `iat`: every hit is judged again on the clock
///   (`ClaimsValidator.checkTimes`), so an entry never outlives `exp` plus the leeway, and a wall
///   clock stepped backwards before `nbf` refuses it as the full check would.
/// - An entry belongs to a JWKS generation (`JWKSClient.freshGeneration()`): when a refresh drops or
///   replaces a key, the first lookup with the new generation empties the cache. It is only used
///   while the key set is fresh.
/// - At most `capacity` entries; the oldest inserted goes first (tokens are inserted near their
///   issue, so nearly in `exp` order). Refusals are never cached.
///
/// Share one cache per verifier (its issuer, client id and leeway): the entries mean "passed this
/// verifier's checks".
public final class VerifiedTokenCache<Value: Sendable>: Sendable {
    public struct Statistics: Sendable, Equatable {
        public var entries = 0
        public var hits: UInt64 = 0
        public var misses: UInt64 = 0
        /// Entries dropped to make room.
        public var evictions: UInt64 = 0
        /// Times the cache was emptied because the key set retired a key.
        public var flushes: UInt64 = 0
    }

    struct Entry: Sendable {
        let value: Value
        let exp: Double
        let nbf: Double?
        let iat: Double?
        var slot: Int
    }

    private struct State: Sendable {
        var entries: [TokenDigest: Entry] = [:]
        /// Insertion order: `ring[i]` is the digest inserted at slot `i`; `next` is overwritten next.
        var ring: [TokenDigest] = []
        var next = 0
        var generation: UInt64 = 0
        var statistics = Statistics()

        mutating func adopt(_ g: UInt64) {
            guard g != generation else { return }
            if !entries.isEmpty { statistics.flushes += 1 }
            entries.removeAll(keepingCapacity: true)
            ring.removeAll(keepingCapacity: true)
            next = 0
            generation = g
        }
    }

    public let capacity: Int
    private let state = Mutex(State())

    /// `capacity` entries at most (at least 1).
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    public func statistics() -> Statistics {
        state.withLock { s in
            var out = s.statistics
            out.entries = s.entries.count
            return out
        }
    }

    /// The entry for `digest` verified under key set `generation`; counts a hit or a miss.
    func lookup(_ digest: TokenDigest, generation: UInt64) -> Entry? {
        state.withLock { s in
            // A caller that read the generation before a refresh another caller already saw.
            guard generation >= s.generation else {
                s.statistics.misses += 1
                return nil
            }
            s.adopt(generation)
            guard let e = s.entries[digest] else {
                s.statistics.misses += 1
                return nil
            }
            s.statistics.hits += 1
            return e
        }
    }

    /// Remembers a token verified with a key of `generation`. An older generation than the
    /// cache's (a verification that raced a refresh) is not stored.
    func insert(_ digest: TokenDigest, generation: UInt64, value: Value, exp: Double, nbf: Double?, iat: Double?) {
        state.withLock { s in
            guard generation >= s.generation else { return }
            s.adopt(generation)
            if let old = s.entries[digest] {
                s.entries[digest] = Entry(value: value, exp: exp, nbf: nbf, iat: iat, slot: old.slot)
                return
            }
            let slot = s.next
            if slot < s.ring.count {
                let previous = s.ring[slot]
                if s.entries[previous]?.slot == slot {
                    s.entries[previous] = nil
                    s.statistics.evictions += 1
                }
                s.ring[slot] = digest
            } else {
                s.ring.append(digest)
            }
            s.next = slot + 1 == capacity ? 0 : slot + 1
            s.entries[digest] = Entry(value: value, exp: exp, nbf: nbf, iat: iat, slot: slot)
        }
    }

    /// Forgets one token (its time checks failed).
    func remove(_ digest: TokenDigest) {
        state.withLock { s in _ = s.entries.removeValue(forKey: digest) }
    }
}
