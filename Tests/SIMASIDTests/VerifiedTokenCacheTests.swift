import Foundation
import RelayCore
import Synchronization
import XCTest

@testable import SIMASID

/// The verified-token cache behind `TokenVerifier.verify(_:cache:_:)`: tokens minted by PyJWT, key
/// sets from `mint.py` handed out by a transport the test switches (`jwks-initial`, `-rotated`,
/// `-retired`, and one with key-a's kid on other key material). `transform` runs only when a
/// token was verified in full, so its count tells a hit from a miss as well as the statistics do.
final class VerifiedTokenCacheTests: XCTestCase {
    private let tokens = TokenFixtures.shared
    private var clock: ManualClock!
    private var jwks: SwitchableJWKS!
    private var verifier: TokenVerifier!
    private let transforms = Atomic<Int>(0)

    override func setUpWithError() throws {
        clock = ManualClock(TokenFixtures.nowSeconds * 1000)
        jwks = try SwitchableJWKS(tokens.directory, "jwks-initial.json")
        var c = TokenVerifierConfiguration(
            issuer: TokenFixtures.issuer, clientID: TokenFixtures.clientID, jwksURI: "http://127.0.0.1:9/certs")
        c.leewaySeconds = 0
        verifier = TokenVerifier(configuration: c, transport: jwks, clock: clock, monotonic: clock)  // one manual time for both
        XCTAssertNoThrow(try verifier.keys.refresh().get())
    }

    private func subject(_ t: VerifiedToken) -> String {
        transforms.add(1, ordering: .relaxed)
        return t.subject ?? ""
    }

    private func fast(_ name: String, _ cache: VerifiedTokenCache<String>) -> Result<String, TokenError>? {
        verifier.verifyWithoutWaiting(tokens[name], cache: cache, subject)
    }

    private func full(_ name: String, _ cache: VerifiedTokenCache<String>) -> Result<String, TokenError> {
        verifier.verify(tokens[name], cache: cache, subject)
    }

    private var fullVerifications: Int { transforms.load(ordering: .relaxed) }

    /// The cache's hits and, when given, its entries and flushes, and how many tokens were verified
    /// in full so far.
    private func assertCounts(
        _ cache: VerifiedTokenCache<String>, hits: UInt64, entries: Int? = nil, flushes: UInt64? = nil, full: Int? = nil,
        line: UInt = #line
    ) {
        let s = cache.statistics()
        XCTAssertEqual(s.hits, hits, "hits", line: line)
        if let entries { XCTAssertEqual(s.entries, entries, "entries", line: line) }
        if let flushes { XCTAssertEqual(s.flushes, flushes, "flushes", line: line) }
        if let full { XCTAssertEqual(fullVerifications, full, "verified in full", line: line) }
    }

    /// The transport hands out the key set `name` from now on, and the verifier has fetched it.
    private func serveKeys(_ name: String, maxAge: Int = 300) throws {
        try jwks.use(name, maxAge: maxAge)
        XCTAssertNoThrow(try verifier.keys.refresh().get())
    }

    func testRepeatedTokenIsAnsweredFromTheCache() throws {
        let cache = VerifiedTokenCache<String>(capacity: 16)
        XCTAssertEqual(try fast("valid", cache)?.get(), "f3b1c2d4-0000-4000-8000-000000000001")
        for _ in 0..<5 {
            XCTAssertEqual(try fast("valid", cache)?.get(), "f3b1c2d4-0000-4000-8000-000000000001")
            XCTAssertEqual(try full("valid", cache).get(), "f3b1c2d4-0000-4000-8000-000000000001")
        }
        XCTAssertEqual(fullVerifications, 1)
        let s = cache.statistics()
        XCTAssertEqual(s.entries, 1)
        XCTAssertEqual(s.misses, 1)
        XCTAssertEqual(s.hits, 10)
    }

    func testRefusalsAreNeverCached() {
        let cache = VerifiedTokenCache<String>(capacity: 16)
        for name in ["expired", "wrong_iss", "aud_array_other", "azp_other", "alg_none", "hs256_public_key", "tampered_payload"] {
            XCTAssertNotNil(full(name, cache).failureCheck, name)
            XCTAssertNotNil(full(name, cache).failureCheck, name)
        }
        assertCounts(cache, hits: 0, entries: 0)
        // A token over the size limit is refused before it is even hashed.
        let lookups = cache.statistics().misses
        XCTAssertEqual(fast("oversized", cache)?.failureCheck, .tokenTooLarge)
        XCTAssertEqual(full("oversized", cache).failureCheck, .tokenTooLarge)
        XCTAssertEqual(cache.statistics().misses, lookups)
        XCTAssertEqual(fullVerifications, 0)
    }

    /// Every byte counts: the cached token's header and payload with another signature, or its
    /// signature on another payload, are verified in full and refused.
    func testForgedTokenWithTheSamePrefixNeverHits() {
        let cache = VerifiedTokenCache<String>(capacity: 16)
        XCTAssertNotNil(try fast("valid", cache)?.get())
        let valid = tokens["valid"]
        XCTAssertTrue(tokens["tampered_signature"].hasPrefix(valid.prefix(valid.count / 2)))
        for name in ["tampered_signature", "tampered_payload"] {
            XCTAssertEqual(fast(name, cache)?.failureCheck, .signatureInvalid, name)
            XCTAssertEqual(full(name, cache).failureCheck, .signatureInvalid, name)
        }
        let withSuffix = verifier.verifyWithoutWaiting(valid + "A", cache: cache, subject)
        XCTAssertNotNil(withSuffix?.failureCheck)
        assertCounts(cache, hits: 0, entries: 1, full: 1)
    }

    /// Valid until `exp` (leeway 0 here) and not a millisecond longer; a clock stepped back before
    /// `nbf` refuses the cached token as the full check would.
    func testHitIsJudgedAgainOnTheClock() throws {
        try serveKeys("jwks-initial.json", maxAge: 3600)
        let cache = VerifiedTokenCache<String>(capacity: 16)
        XCTAssertNotNil(try fast("valid", cache)?.get())
        let exp = (TokenFixtures.nowSeconds + 300) * 1000
        clock.set(exp - 1)
        XCTAssertNotNil(try fast("valid", cache)?.get(), "still valid a millisecond before exp")
        XCTAssertEqual(cache.statistics().hits, 1)
        clock.set(exp)
        XCTAssertEqual(fast("valid", cache)?.failureCheck, .expired)
        XCTAssertEqual(cache.statistics().hits, 2, "answered by the cache entry, which refused it")
        XCTAssertEqual(cache.statistics().entries, 0, "and forgot it")
        XCTAssertEqual(full("valid", cache).failureCheck, .expired)

        clock.set(TokenFixtures.nowSeconds * 1000)
        XCTAssertNotNil(try fast("valid", cache)?.get())
        clock.set((TokenFixtures.nowSeconds - 11) * 1000)  // nbf is now - 10
        XCTAssertEqual(fast("valid", cache)?.failureCheck, .notYetValid)
        XCTAssertEqual(fullVerifications, 2)
    }

    func testRetiredKeyEmptiesTheCache() throws {
        let cache = VerifiedTokenCache<String>(capacity: 16)
        XCTAssertNotNil(try fast("valid", cache)?.get())
        XCTAssertNotNil(try fast("valid", cache)?.get())
        try serveKeys("jwks-retired.json")
        XCTAssertNil(fast("valid", cache), "key-a is gone: not answered from the cache, no key to answer with")
        XCTAssertEqual(full("valid", cache).failureCheck, .unknownKeyID)
        let s = cache.statistics()
        XCTAssertEqual(s.flushes, 1)
        XCTAssertEqual(s.entries, 0)
        XCTAssertEqual(s.hits, 1)
    }

    /// The same kid on other key material (an issuer that reuses kids) is a retired key too.
    func testReplacedKeyMaterialEmptiesTheCache() throws {
        let cache = VerifiedTokenCache<String>(capacity: 16)
        XCTAssertNotNil(try fast("valid", cache)?.get())
        try jwks.useKeyAReplacedByKeyB()
        XCTAssertNoThrow(try verifier.keys.refresh().get())
        XCTAssertEqual(fast("valid", cache)?.failureCheck, .signatureInvalid)
        assertCounts(cache, hits: 0, flushes: 1)
    }

    /// Adding a key (a rotation announced ahead) or refetching the same set keeps every entry.
    func testAddedKeyOrSameSetKeepsTheCache() throws {
        let cache = VerifiedTokenCache<String>(capacity: 16)
        XCTAssertNotNil(try fast("valid", cache)?.get())
        XCTAssertNoThrow(try verifier.keys.refresh().get())
        try serveKeys("jwks-rotated.json")
        XCTAssertNotNil(try fast("valid", cache)?.get())
        XCTAssertNotNil(try fast("rotated", cache)?.get())
        XCTAssertNotNil(try fast("rotated", cache)?.get())
        assertCounts(cache, hits: 2, flushes: 0, full: 2)
    }

    /// A key set past its lifetime is not trusted for cached answers: the caller goes to `verify`.
    func testStaleKeySetBypassesTheCache() throws {
        try serveKeys("jwks-initial.json", maxAge: 60)
        let cache = VerifiedTokenCache<String>(capacity: 16)
        XCTAssertNotNil(try fast("valid", cache)?.get())
        clock.advance(millis: 61_000)  // the set is stale, the token still valid
        XCTAssertNil(fast("valid", cache))
        XCTAssertEqual(cache.statistics().hits, 0)
        XCTAssertNotNil(try full("valid", cache).get(), "verified in full with the stale set while it is refreshed")
        XCTAssertEqual(cache.statistics().hits, 0)
        // The refresh runs in the background: let it finish before the test (maybe the process) ends.
        let deadline = monotonicNanos() + 5_000_000_000
        while monotonicNanos() < deadline, verifier.keys.snapshot().fetches < 3 || verifier.keys.snapshot().refreshing { usleep(2_000) }
        XCTAssertEqual(verifier.keys.snapshot().fetches, 3)
        XCTAssertNotNil(try fast("valid", cache)?.get(), "the same keys, fresh again: the entry answers")
    }

    func testCapacityEvictsTheOldestFirst() throws {
        let cache = VerifiedTokenCache<String>(capacity: 2)
        for name in ["valid", "valid_aud_string", "valid_at_jwt"] { XCTAssertNotNil(try fast(name, cache)?.get(), name) }
        var s = cache.statistics()
        XCTAssertEqual(s.entries, 2)
        XCTAssertEqual(s.evictions, 1)
        XCTAssertNotNil(try fast("valid_at_jwt", cache)?.get())
        XCTAssertNotNil(try fast("valid_aud_string", cache)?.get())
        XCTAssertEqual(cache.statistics().hits, 2)
        XCTAssertNotNil(try fast("valid", cache)?.get(), "the oldest was evicted: verified again")
        s = cache.statistics()
        XCTAssertEqual(s.hits, 2)
        XCTAssertEqual(s.entries, 2)
        XCTAssertEqual(s.evictions, 2)
        XCTAssertEqual(fullVerifications, 4)
        // Many more distinct entries than room: the count never passes the capacity.
        let big = VerifiedTokenCache<Int>(capacity: 100)
        for i in 0..<1_000 { big.insert(TokenDigest("t\(i)"), generation: 0, value: i, exp: 1e12, nbf: nil, iat: nil) }
        XCTAssertEqual(big.statistics().entries, 100)
        XCTAssertEqual(big.statistics().evictions, 900)
        XCTAssertEqual(big.lookup(TokenDigest("t999"), generation: 0)?.value, 999)
        XCTAssertNil(big.lookup(TokenDigest("t899"), generation: 0))
    }

    func testDigestIsSHA256AndComparesEveryByte() {
        let abc = TokenDigest("abc")  // FIPS 180-2 test vector ba7816bf 8f01cfea …
        XCTAssertEqual(abc.w0, 0xeacf_018f_bf16_78ba)
        XCTAssertEqual(abc.w3, 0xad15_00f2_61ff_10b4)
        XCTAssertEqual(TokenDigest("abc"), abc)
        XCTAssertNotEqual(TokenDigest("abd"), abc)
        XCTAssertNotEqual(TokenDigest(""), abc)
    }

    func testKeySetDiffRetiresOnlyDroppedOrChangedKeys() throws {
        func set(_ name: String) throws -> JSONWebKeySet {
            try JSONWebKeySet.parse(Array(try Data(contentsOf: tokens.directory.appendingPathComponent(name))))
        }
        let initial = try set("jwks-initial.json"), rotated = try set("jwks-rotated.json"), retired = try set("jwks-retired.json")
        XCTAssertFalse(JWKSClient.retiresKeys(old: initial, new: try set("jwks-initial.json")))
        XCTAssertFalse(JWKSClient.retiresKeys(old: initial, new: rotated))
        XCTAssertTrue(JWKSClient.retiresKeys(old: rotated, new: retired))
        XCTAssertTrue(JWKSClient.retiresKeys(old: rotated, new: initial))
    }
}

/// A JWKS transport whose document the test chooses; `Cache-Control: max-age` as the fake IdP sends.
final class SwitchableJWKS: TokenHTTPTransport {
    private let directory: URL
    private let current = Mutex<(body: [UInt8], maxAge: Int)>(([], 300))

    init(_ directory: URL, _ name: String) throws {
        self.directory = directory
        try use(name)
    }

    func use(_ name: String, maxAge: Int = 300) throws {
        let body = Array(try Data(contentsOf: directory.appendingPathComponent(name)))
        current.withLock { $0 = (body, maxAge) }
    }

    /// `jwks-rotated.json` with key-a dropped and key-b's material listed under the kid `key-a`.
    func useKeyAReplacedByKeyB() throws {
        let data = try Data(contentsOf: directory.appendingPathComponent("jwks-rotated.json"))
        var doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var keys = try XCTUnwrap(doc["keys"] as? [[String: Any]])
        keys.removeAll { $0["kid"] as? String == "key-a" }
        var b = try XCTUnwrap(keys.first { $0["kid"] as? String == "key-b" })
        keys.removeAll { $0["kid"] as? String == "key-b" }
        b["kid"] = "key-a"
        keys.append(b)
        doc["keys"] = keys
        let body = Array(try JSONSerialization.data(withJSONObject: doc))
        current.withLock { $0 = (body, 300) }
    }

    func get(_ url: String, headers: [(name: String, value: String)]) throws(TokenTransportError) -> TokenHTTPResponse {
        let (body, maxAge) = current.withLock { $0 }
        return TokenHTTPResponse(status: 200, headers: [(name: "Cache-Control", value: "max-age=\(maxAge)")], body: body)
    }
}
