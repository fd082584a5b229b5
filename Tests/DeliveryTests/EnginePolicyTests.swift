import Outbox
import RelayCore
import Synchronization
import XCTest

@testable import Delivery

/// RetryPolicy, CircuitBreaker and Routes on their own.
final class EnginePolicyTests: XCTestCase {
    func testFullJitterDrawsBelowTheExponentialCeiling() {
        let seen = Mutex<[Int64]>([])
        let recording = RandomSource { upper in
            seen.withLock { $0.append(upper) }; return upper / 2
        }
        let p = RetryPolicy(baseDelay: .milliseconds(500), maxDelay: .milliseconds(10_000), maxAttempts: 100, random: recording)
        XCTAssertEqual(
            (1...7).map { p.ceiling(afterAttempt: $0) }, [500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000].map { .milliseconds($0) })
        XCTAssertEqual(p.backoff(afterAttempt: 3), .seconds(1))
        XCTAssertEqual(seen.withLock { $0 }, [2_000], "drawn from 0...ceiling")
        XCTAssertEqual(p.ceiling(afterAttempt: 90), .seconds(10), "no overflow")
        for attempt in 1...20 {
            let d = RetryPolicy(baseDelay: .milliseconds(500), maxDelay: .milliseconds(10_000)).backoff(afterAttempt: attempt)
            XCTAssertTrue((Duration.zero...p.ceiling(afterAttempt: attempt)).contains(d))
        }
    }

    func testDecisionHonoursRetryAfterAttemptsAndExpiry() {
        let p = RetryPolicy(baseDelay: .milliseconds(1_000), maxDelay: .milliseconds(8_000), maxAttempts: 4, random: .zero)
        XCTAssertEqual(p.decide(attemptsMade: 1, now: 100, expiresAt: 60_000, retryAfterMillis: nil), .retry(runAt: 100))
        XCTAssertEqual(p.decide(attemptsMade: 1, now: 100, expiresAt: 60_000, retryAfterMillis: 7_000), .retry(runAt: 7_100))
        XCTAssertEqual(p.decide(attemptsMade: 2, now: 100, expiresAt: 5_000, retryAfterMillis: 7_000), .expire)
        XCTAssertEqual(p.decide(attemptsMade: 4, now: 100, expiresAt: 60_000, retryAfterMillis: nil), .giveUp(attempts: 4))
        let longest = RetryPolicy(baseDelay: .milliseconds(1_000), maxDelay: .milliseconds(8_000), maxAttempts: 4, random: .maximum)
        XCTAssertEqual(
            longest.decide(attemptsMade: 3, now: 0, expiresAt: 60_000, retryAfterMillis: 1_000), .retry(runAt: 4_000),
            "the longer of backoff and Retry-After")
        XCTAssertEqual(p.deferral(until: 9_000, expiresAt: 10_000), .retry(runAt: 9_000))
        XCTAssertEqual(p.deferral(until: 10_000, expiresAt: 10_000), .expire)
    }

    func testBreakerOpensAfterConsecutiveFailuresAndProbesAfterCoolDown() {
        let b = CircuitBreaker(
            name: "meta", policy: CircuitBreakerPolicy(consecutiveFailures: 3, window: 0, coolDown: .milliseconds(1_000)))
        XCTAssertEqual(b.acquire(now: 0), .allowed)
        b.record(failed: true, now: 0)
        b.record(failed: false, now: 0)
        b.record(failed: true, now: 0)
        b.record(failed: true, now: 0)
        XCTAssertEqual(b.state, .closed, "a success resets the run")
        XCTAssertEqual(b.record(failed: true, now: 10), .open(until: 1_010))
        XCTAssertEqual(b.acquire(now: 500), .rejected(retryAt: 1_010))
        XCTAssertEqual(b.acquire(now: 1_010), .probe)
        XCTAssertEqual(b.state, .halfOpen)
        XCTAssertEqual(b.acquire(now: 1_011), .rejected(retryAt: 2_011), "one probe at a time")
        XCTAssertEqual(CircuitBreakerPolicy().probeWait, .seconds(1))
        XCTAssertEqual(b.record(failed: true, now: 1_020), .open(until: 2_020), "a failed probe reopens")
        XCTAssertEqual(b.acquire(now: 2_020), .probe)
        XCTAssertEqual(b.record(failed: false, now: 2_030), .closed)
        XCTAssertEqual(b.acquire(now: 2_031), .allowed)
    }

    func testBreakerOpensOnFailureRateOverTheWindow() {
        let b = CircuitBreaker(
            name: "sms",
            policy: CircuitBreakerPolicy(
                consecutiveFailures: 100, failureRate: 0.5,
                window: 10, coolDown: .milliseconds(1_000)))
        for i in 0..<9 { b.record(failed: i % 2 == 0, now: 0) }  // 5 failures of 9: window not full yet
        XCTAssertEqual(b.state, .closed)
        b.record(failed: false, now: 0)  // 5 of 10, on a success
        XCTAssertEqual(b.state, .closed)
        XCTAssertEqual(b.record(failed: true, now: 5), .open(until: 1_005))
    }

    func testCancelledProbeLetsTheNextRequestProbe() {
        let b = CircuitBreaker(name: "x", policy: CircuitBreakerPolicy(consecutiveFailures: 1, coolDown: .milliseconds(10)))
        b.record(failed: true, now: 0)
        XCTAssertEqual(b.acquire(now: 10), .probe)
        b.cancelProbe()
        XCTAssertEqual(b.acquire(now: 11), .probe)
    }

    func testRoutesFlattenTheLadderAndTheFallbackChannel() throws {
        let r = try Routes(
            ladders: [.whatsapp: ["meta", "twilio-wa"], .sms: ["twilio", "gateway"], .email: ["smtp"]],
            fallbacks: [.whatsapp: .sms])
        XCTAssertEqual(
            r.rungs(for: .whatsapp).map { "\($0.step):\($0.channel.rawValue):\($0.provider)" },
            ["0:whatsapp:meta", "1:whatsapp:twilio-wa", "2:sms:twilio", "3:sms:gateway"])
        XCTAssertEqual(r.rung(for: .sms, step: 1)?.provider, "gateway")
        XCTAssertNil(r.rung(for: .sms, step: 2))
        XCTAssertEqual(r.rungs(for: .email).count, 1)
    }

    func testRoutesRejectCyclesAndEmailFallbacks() {
        XCTAssertThrowsError(try Routes(ladders: [.whatsapp: ["a"], .sms: ["b"]], fallbacks: [.whatsapp: .sms, .sms: .whatsapp]))
        XCTAssertThrowsError(try Routes(ladders: [.sms: ["a"], .email: ["b"]], fallbacks: [.sms: .email]))
        XCTAssertThrowsError(try Routes(ladders: [.whatsapp: ["a"]], fallbacks: [.whatsapp: .sms]))
        XCTAssertThrowsError(try Routes(ladders: [.sms: []]))
    }

    func testOutcomeJudgementClassifiesProviderFailures() {
        XCTAssertTrue(OutcomeJudgement.isProviderFailure(.retryable(reason: "transport timeout", retryAfterMillis: nil, status: nil)))
        XCTAssertTrue(OutcomeJudgement.isProviderFailure(.permanent(reason: "twilio 20003", status: 401)))
        XCTAssertTrue(OutcomeJudgement.isProviderFailure(.permanent(reason: "configuration tls: bad CA", status: nil)))
        XCTAssertFalse(OutcomeJudgement.isProviderFailure(.permanent(reason: "twilio 21211", status: 400)))
        XCTAssertFalse(OutcomeJudgement.isProviderFailure(.nextRoute(reason: "meta 131026", status: 400)))
        XCTAssertEqual(OutcomeJudgement.errorClass(.permanent(reason: "twilio 21211: invalid number", status: 400)), "twilio 21211")
        XCTAssertNil(OutcomeJudgement.errorClass(.sent(providerMessageID: nil, status: 200)))
    }
}
