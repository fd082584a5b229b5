import Foundation
import Outbox
import RelayCore
import Synchronization
import XCTest

@testable import Delivery

/// What the slow provider was asked to send, shared by every worker's instance.
final class SendLog: Sendable {
    private let ids = Mutex<[String]>([])
    func append(_ id: String) { ids.withLock { $0.append(id) } }
    var all: [String] { ids.withLock { $0 } }
}

/// A provider that takes `delay` to answer (real time) and counts what it was asked to send.
final class SlowProvider: Provider {
    let name = "slow"
    let kind = "fake"
    let channels: Set<Channel> = [.sms]
    let delay: Duration
    let sends: SendLog

    init(delay: Duration, sends: SendLog) {
        self.delay = delay
        self.sends = sends
    }

    func send(_ m: OutgoingMessage) -> DeliveryOutcome {
        sends.append(m.jobID)
        Thread.sleep(forTimeInterval: Double(delay.wholeMilliseconds) / 1000)
        return .sent(providerMessageID: "slow-\(m.jobID)", status: 200)
    }
}

/// Leases renewed while sends are in flight, rescues counted against `max_attempts`, the lease
/// checked against the providers' timeouts, and a wall-clock step that must not cause a resend.
final class EngineLeaseRenewalTests: XCTestCase {
    /// Real clocks: a 2 s lease and a provider that answers in 3 s. Before the renewer, every job
    /// was rescued mid-send and sent again until it expired.
    func testSendsSlowerThanTheLeaseAreSentOnceAndEndSent() throws {
        let h = try EngineHarness()
        let outbox = try SQLiteOutbox(path: h.dir.file("real.sqlite"), dataKey: engineKey, clock: SystemClock(), logger: .silent)
        defer { outbox.close() }
        let sends = SendLog()
        let slow = ProviderSpec(name: "slow", kind: "fake", channels: [.sms]) { SlowProvider(delay: Duration.seconds(3), sends: sends) }
        let events = DeliveryEventLog()
        let config = DeliveryConfiguration(
            providers: [slow], routes: engineRoutes([.sms: ["slow"]]), workers: 2, lease: .seconds(2),
            expireSweepInterval: .seconds(3_600), maxIdle: .milliseconds(200))
        let pool = WorkerPool(store: outbox, configuration: config, logger: .silent, observer: events.observer)
        var ids: [String] = []
        for i in 0..<3 {
            let recipient = "+62811000000\(i)"
            ids.append(try enqueueOTP(into: outbox, channel: .sms, to: recipient, otp: "48291\(i)"))
        }
        pool.start()
        // Two workers, three jobs: the third waits 3 s for a worker with its lease held, then sends for 3 s.
        for id in ids { XCTAssertEqual(events.finished(id), [.sent]) }
        pool.shutdown(by: .now + .seconds(5))
        XCTAssertEqual(sends.all.sorted(), ids.sorted(), "exactly one provider request per job")
        for id in ids {
            XCTAssertEqual(try outbox.job(id: id)?.status, .sent)
            XCTAssertEqual(try outbox.attempts(jobID: id).map(\.outcome), [.sent], "no rescued try")
        }
        XCTAssertFalse(events.all.contains { if case .rescued = $0 { return true } else { return false } })
        XCTAssertTrue(events.all.contains { if case .renewed = $0 { return true } else { return false } })
    }

    /// The wall clock steps +120 s while a send is held: the dispatcher wakes, sees every stored
    /// `lease_until` in the past, renews what the pool holds and rescues nothing.
    func testWallClockStepMidSendDoesNotResend() throws {
        let h = try EngineHarness()
        h.script.holdNext("sms")
        h.start(h.configuration(providers: [h.script.spec("sms")], routes: engineRoutes([.sms: ["sms"]]), lease: .seconds(5)))
        let id = try h.enqueue(channel: .sms)
        XCTAssertEqual(h.script.entered.wait(timeout: .now() + 20), .success, "the send started")
        h.stepWall(120_000)
        // The dispatcher wakes, renews in the stepped wall time, and rescues nothing.
        let deadline = Date().addingTimeInterval(20)
        while try (h.outbox.job(id: id)?.leaseUntil ?? 0) <= h.clock.nowMillis(), Date() < deadline {
            usleep(10_000)
        }
        let idles = h.events.all.filter { $0 == .idle }.count
        h.pool?.wake()
        h.events.wait(for: idles + 1) { $0 == .idle }  // one more pass with the stepped clock
        let leased = try XCTUnwrap(h.outbox.job(id: id))
        XCTAssertEqual(leased.status, .sending)
        XCTAssertGreaterThan(leased.leaseUntil ?? 0, h.clock.nowMillis(), "renewed in the stepped wall time")
        h.script.gate.signal()
        XCTAssertEqual(h.events.finished(id), [.sent])
        XCTAssertEqual(h.script.sent.count, 1, "no second send")
        XCTAssertEqual(try h.outbox.attempts(jobID: id).map(\.outcome), [.sent])
        XCTAssertFalse(h.events.all.contains { if case .rescued = $0 { return true } else { return false } })
    }

    /// A breaker cool-down is monotonic: a wall step past it does not let a request through; the
    /// job is deferred to the stepped wall time plus the cool-down still left.
    func testBreakerCoolDownIsNotShortenedByAWallStep() throws {
        let h = try EngineHarness()
        h.script.always("sms", .retryable(reason: "HTTP 503", retryAfterMillis: nil, status: 503))
        h.start(
            h.configuration(
                providers: [h.script.spec("sms")], routes: engineRoutes([.sms: ["sms"]]),
                breaker: CircuitBreakerPolicy(consecutiveFailures: 1, coolDown: .seconds(30))))
        let id = try h.enqueue(channel: .sms)
        XCTAssertEqual(h.events.finished(id), [.retry(runAt: engineStart + 1_000)])
        h.stepWall(120_000)  // the retry is due by the wall; the breaker is open for 30 s more
        let second = h.events.finished(id, count: 2).last
        XCTAssertEqual(second, .retry(runAt: engineStart + 120_000 + 30_000))
        XCTAssertEqual(h.script.sent.count, 1, "the open breaker let nothing through")
        XCTAssertEqual(try h.outbox.attempts(jobID: id).last?.errorClass, "circuit_open")
    }

    func testRescuesCountAsTriesAndEndDeadPastMaxAttempts() throws {
        let h = try EngineHarness()
        let id = try h.enqueue(channel: .sms)
        var now = engineStart
        for round in 1...3 {
            XCTAssertEqual(try h.outbox.claim(limit: 1, lease: .seconds(2), now: now).map(\.id), [id])
            now += 2_000
            XCTAssertEqual(try h.outbox.rescueExpiredLeases(now: now, maxAttempts: 3), 1)
            let job = try XCTUnwrap(h.outbox.job(id: id))
            XCTAssertEqual(job.attempts, round)
            XCTAssertEqual(job.status, round < 3 ? .queued : .dead, "round \(round)")
        }
        XCTAssertEqual(try h.outbox.claim(limit: 1, lease: .seconds(2), now: now).count, 0, "a dead job is not claimed")
        XCTAssertEqual(try h.outbox.attempts(jobID: id).map(\.errorClass), ["lease_expired", "lease_expired", "lease_expired"])
    }

    func testLeaseBelowTheSlowestProviderTimeoutPlusMarginIsRefused() throws {
        func parse(_ lease: Int, _ timeout: Int) throws -> DeliveryConfiguration {
            let json: [String: Any] = [
                "providers": [
                    "gw": [
                        "kind": "http", "method": "POST", "url": "http://127.0.0.1:9/send", "channels": ["sms"],
                        "body_kind": "json", "body_template": "{\"to\": \"{to}\"}", "total_timeout_ms": timeout,
                    ]
                ],
                "routes": ["sms": ["gw"]], "lease_ms": lease,
            ]
            return try DeliveryConfiguration.parse(json, sandboxFile: "/dev/null", environment: [:])
        }
        XCTAssertThrowsError(try parse(2_000, 10_000)) { e in
            XCTAssertEqual((e as? ConfigError)?.key, "delivery.lease_ms")
            XCTAssertEqual(
                (e as? ConfigError)?.problem,
                "must be at least 11000 (provider gw has total_timeout_ms 10000, plus a 1000 ms margin)")
        }
        XCTAssertThrowsError(try parse(10_999, 10_000))
        XCTAssertEqual(try parse(11_000, 10_000).lease, .seconds(11))
        XCTAssertEqual(try parse(2_000, 1_000).lease, .seconds(2))
    }
}
