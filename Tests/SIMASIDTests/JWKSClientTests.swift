import Dispatch
import RelayCore
import Synchronization
import XCTest

@testable import SIMASID

/// Key rotation, the unknown-kid cooldown, single-flight fetching and the last good set, counted
/// at the fake IdP. Each test has its own IdP and verifier.
final class JWKSClientTests: XCTestCase {
    private var idp: FakeIdP!
    private var clock: ManualClock!
    private var verifier: TokenVerifier!
    private let tokens = TokenFixtures.shared
    private let cooldown = JWKSCachePolicy.defaultRefreshCooldownSeconds * 1000

    override func setUpWithError() throws {
        idp = try FakeIdP()
        clock = ManualClock(TokenFixtures.nowSeconds * 1000)
        verifier = TokenVerifier(
            configuration: TokenVerifierTests.configuration(idp), transport: TestTransport.make(), clock: clock, monotonic: clock)
    }

    override func tearDown() {
        idp.stop()
    }

    private func check(_ name: String) -> TokenError.Check? { verifier.verify(tokens[name]).failureCheck }

    /// Waits (bounded) for background refreshes to finish and `fetches` attempts to be recorded.
    private func waitForFetches(_ fetches: Int, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = monotonicNanos() + 5_000_000_000
        while monotonicNanos() < deadline {
            let s = verifier.keys.snapshot()
            if s.fetches >= fetches && !s.refreshing { return }
            usleep(2_000)
        }
        XCTFail("\(verifier.keys.snapshot().fetches) fetches, expected \(fetches)", file: file, line: line)
    }

    func testHeaderPolicyRejectsBeforeAnyKeyIsFetched() throws {
        for (name, expected) in [
            ("alg_none", TokenError.Check.algorithmNotAllowed), ("hs256_public_key", .algorithmNotAllowed),
            ("crit_unknown", .unsupportedCritical), ("oversized", .tokenTooLarge),
            ("malformed_b64_padding", .malformedBase64URL),
        ] {
            XCTAssertEqual(check(name), expected, name)
        }
        XCTAssertEqual(try idp.certsFetches(), 0, "no key was needed to refuse these")
        XCTAssertEqual(verifier.keys.snapshot().fetches, 0)
    }

    func testNewKidTriggersExactlyOneFetch() throws {
        XCTAssertNil(check("valid"))
        XCTAssertEqual(try idp.certsFetches(), 1)
        try idp.serve("jwks-rotated.json")
        clock.advance(millis: cooldown)
        XCTAssertNil(check("rotated"), "key-b is fetched on first sight")
        XCTAssertEqual(try idp.certsFetches(), 2)
        for _ in 0..<20 { XCTAssertNil(check("rotated")); XCTAssertNil(check("valid")) }
        XCTAssertEqual(try idp.certsFetches(), 2, "both keys now come from the cache")
    }

    func testNewKidInsideTheCooldownDoesNotFetch() throws {
        XCTAssertNil(check("valid"))
        try idp.serve("jwks-rotated.json")
        clock.advance(millis: cooldown - 1)
        XCTAssertEqual(check("rotated"), .unknownKeyID)
        XCTAssertEqual(try idp.certsFetches(), 1)
        clock.advance(millis: 1)
        XCTAssertNil(check("rotated"))
        XCTAssertEqual(try idp.certsFetches(), 2)
    }

    func testClockSteppedBackwardsDoesNotLockRefreshesOut() throws {
        XCTAssertNil(check("valid"))
        try idp.serve("jwks-rotated.json")
        clock.advance(millis: -3_600_000)
        XCTAssertEqual(check("rotated"), .notYetValid, "key-b was fetched; the token just is not valid yet an hour earlier")
        XCTAssertEqual(try idp.certsFetches(), 2)
    }

    func testUnknownKidStormStaysWithinTheCooldown() throws {
        XCTAssertNil(check("valid"))
        clock.advance(millis: cooldown)
        try idp.setDelay(millis: 200)  // the storm arrives while the one fetch is in flight
        let accepted = Atomic<Int>(0)
        let verifier = self.verifier!, tokens = self.tokens
        DispatchQueue.concurrentPerform(iterations: 50) { i in
            if case .success = verifier.verify(tokens["storm_\(i)"]) { accepted.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(accepted.load(ordering: .relaxed), 0)
        XCTAssertEqual(try idp.certsFetches(), 2, "50 unknown kids, one fetch")
        for step in 0..<3 {
            clock.advance(millis: cooldown / 4)
            for i in 0..<50 { XCTAssertEqual(check("storm_\(i)"), .unknownKeyID, "step \(step)") }
        }
        XCTAssertEqual(try idp.certsFetches(), 2, "still inside the cooldown")
        clock.advance(millis: cooldown / 4)
        for i in 0..<50 { XCTAssertEqual(check("storm_\(i)"), .unknownKeyID) }
        XCTAssertEqual(try idp.certsFetches(), 3, "one more fetch per cooldown")
        XCTAssertNil(check("valid"))
    }

    func testConcurrentColdStartSharesOneFetch() throws {
        try idp.setDelay(millis: 300)
        let accepted = Atomic<Int>(0)
        let verifier = self.verifier!, tokens = self.tokens
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            if case .success = verifier.verify(tokens["valid"]) { accepted.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(accepted.load(ordering: .relaxed), 16, "callers wait for the fetch in flight")
        XCTAssertEqual(try idp.certsFetches(), 1)
    }

    func testLastGoodKeysStillVerifyWhenTheServerIsDown() throws {
        try idp.setCacheControl("max-age=60")
        XCTAssertNil(check("valid"))
        idp.stop()
        clock.advance(millis: 120_000)  // past max-age=60 (the token is good for 300 s): a refresh is due and fails
        XCTAssertNil(check("valid"), "the stale set answers while it is refreshed")
        waitForFetches(2)
        XCTAssertNil(check("valid"), "the last good set is kept")
        let snapshot = verifier.keys.snapshot()
        XCTAssertEqual(snapshot.fetches, 2)
        XCTAssertEqual(snapshot.failures, 1)
        XCTAssertNotNil(snapshot.lastFailure)
        XCTAssertEqual(snapshot.keyIDs, ["key-a"])
        XCTAssertNil(check("valid"), "and keeps verifying without hammering the dead server")
        XCTAssertEqual(verifier.keys.snapshot().fetches, 2)
        XCTAssertEqual(check("rotated"), .unknownKeyID)
    }

    func testLastGoodKeysKeptWhenTheServerAnswersAnError() throws {
        try idp.setCacheControl("max-age=60")
        XCTAssertNil(check("valid"))
        try idp.setCertsStatus(503)
        clock.advance(millis: 120_000)
        XCTAssertNil(check("valid"))
        waitForFetches(2)
        XCTAssertNil(check("valid"))
        XCTAssertEqual(try idp.certsFetches(), 2)
        XCTAssertEqual(verifier.keys.snapshot().lastFailure, "HTTP status 503")
    }

    func testColdStartWithTheServerDownIsUnavailable() throws {
        idp.stop()
        let error = try XCTUnwrap(verifier.verify(tokens["valid"]).failure)
        XCTAssertEqual(error.check, .keysUnavailable)
        XCTAssertTrue(error.isUnavailable)
    }

    func testRetiredKeyIsDroppedAfterARefresh() throws {
        XCTAssertNil(check("valid"))
        try idp.serve("jwks-retired.json")
        clock.advance(millis: 301_000)  // past max-age=300
        XCTAssertNil(check("valid"), "the stale set answers while it is refreshed")
        waitForFetches(2)
        XCTAssertEqual(check("valid"), .unknownKeyID, "the refreshed set no longer has key-a")
        XCTAssertNil(check("rotated"))
        XCTAssertEqual(try idp.certsFetches(), 2)
    }

    func testCacheControlMaxAgeIsHonoured() throws {
        try idp.setCacheControl("public, max-age=120")
        XCTAssertNil(check("valid"))
        clock.advance(millis: 119_000)
        XCTAssertNil(check("valid"))
        XCTAssertEqual(try idp.certsFetches(), 1)
        clock.advance(millis: 1_000)
        XCTAssertNil(check("valid"))
        waitForFetches(2)
        XCTAssertEqual(try idp.certsFetches(), 2)
        XCTAssertEqual(verifier.keys.snapshot().expiresAtMillis, clock.nowMillis() + 120_000)
    }

    /// The set's lifetime runs on the monotonic clock: a wall step of ±120 s across a max-age of
    /// 60 s neither refreshes the set early nor keeps it past its lifetime (tokens, good for 300 s,
    /// are still judged on the wall).
    func testWallClockStepsNeitherExpireNorExtendTheCachedSet() throws {
        let wall = ManualClock(TokenFixtures.nowSeconds * 1000)
        let monotonic = ManualMonotonicClock()
        let v = TokenVerifier(
            configuration: TokenVerifierTests.configuration(idp), transport: TestTransport.make(), clock: wall, monotonic: monotonic)
        try idp.setCacheControl("max-age=60")
        XCTAssertNil(v.verify(tokens["valid"]).failureCheck)
        wall.advance(millis: 120_000)
        XCTAssertNil(v.verify(tokens["valid"]).failureCheck)
        XCTAssertNotNil(v.keys.cachedKey(for: "key-a"), "still fresh after a +120 s wall step")
        wall.advance(millis: -240_000)  // the token's nbf is now ahead of the wall: only the cache is looked at
        XCTAssertNotNil(v.keys.cachedKey(for: "key-a"), "still fresh after a -120 s wall step")
        XCTAssertEqual(try idp.certsFetches(), 1, "no refresh from either step")
        monotonic.advance(millis: 60_000)
        XCTAssertNil(v.keys.cachedKey(for: "key-a"), "past its lifetime by monotonic time, the wall 120 s behind")
        wall.advance(millis: 120_000)
        XCTAssertNil(v.verify(tokens["valid"]).failureCheck, "the stale set answers while it is refreshed")
        let deadline = monotonicNanos() + 5_000_000_000
        while (v.keys.snapshot().fetches < 2 || v.keys.snapshot().refreshing) && monotonicNanos() < deadline { usleep(2_000) }
        XCTAssertEqual(try idp.certsFetches(), 2)
    }

    func testLogsSayWhatHappenedAndNeverHoldATokenOrKey() throws {
        let lines = Mutex<[String]>([])
        let logger = Logger(level: .debug, clock: clock, sink: { line in lines.withLock { $0.append(line) } })
        let logged = TokenVerifier(
            configuration: TokenVerifierTests.configuration(idp), transport: TestTransport.make(),
            clock: clock, monotonic: clock, logger: logger)
        for name in ["valid", "unknown_kid", "weak_key", "tampered_signature", "alg_none"] { _ = logged.verify(tokens[name]) }
        idp.stop()
        clock.advance(millis: JWKSCachePolicy.defaultTTLSeconds * 1000)
        _ = logged.keys.refresh()
        let text = lines.withLock { $0.joined() }
        XCTAssertTrue(text.contains("simasid.jwks.refreshed"))
        XCTAssertTrue(text.contains("simasid.jwks.key_refused"))
        XCTAssertTrue(text.contains("simasid.jwks.refresh_failed"))
        for name in ["valid", "unknown_kid", "weak_key", "tampered_signature", "alg_none"] {
            XCTAssertFalse(text.contains(tokens[name].split(separator: ".")[1]), "\(name) payload in the logs")
        }
    }

    func testExplicitRefreshReportsKeyCount() throws {
        XCTAssertEqual(try verifier.keys.refresh().get(), 1)
        XCTAssertEqual(verifier.keys.snapshot().refusedKeyIDs, ["key-ec", "key-enc", "key-weak"])
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
