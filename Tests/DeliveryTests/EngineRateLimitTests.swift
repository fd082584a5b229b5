import Foundation
import Outbox
import RelayCore
import RelayTestSupport
import Synchronization
import XCTest

@testable import Delivery

/// A provider that records when each job reached it (monotonic milliseconds) and answers `answer`.
private final class TimedProvider: Provider {
    let name: String
    let kind = "fake"
    let channels: Set<Channel> = [.sms]
    let log: TimedLog
    let answer: @Sendable (Int) -> DeliveryOutcome

    init(name: String, log: TimedLog, answer: @escaping @Sendable (Int) -> DeliveryOutcome) {
        self.name = name
        self.log = log
        self.answer = answer
    }

    func send(_ m: OutgoingMessage) -> DeliveryOutcome {
        let n = log.entries.withLock { l in
            l.append((SystemMonotonicClock().elapsedMillis(), m.jobID))
            return l.count
        }
        return answer(n)
    }
}

private final class TimedLog: Sendable {
    let entries = Mutex<[(Int64, String)]>([])

    func spec(
        _ name: String, rate: Double? = nil, burst: Int? = nil,
        answer: @escaping @Sendable (Int) -> DeliveryOutcome = { _ in .sent(providerMessageID: nil, status: 200) }
    ) -> ProviderSpec {
        var s = ProviderSpec(name: name, kind: "fake", channels: [.sms]) { [self] in
            TimedProvider(name: name, log: self, answer: answer)
        }
        s.ratePerSecond = rate
        s.burst = burst
        return s
    }
}

final class EngineRateLimitTests: XCTestCase {
    /// A provider configured at 50/s with a burst of 5 receives at most 55 in any second while a
    /// backlog of 150 drains (60 with grants seen late), and the backlog drains soonest-to-expire first.
    func testRateLimitedProviderDrainsABacklogInExpiryOrder() throws {
        let h = try EngineHarness()
        let log = TimedLog()
        var expiry: [String: Int64] = [:]
        var validities = Array(0..<150).map { Int64(120_000 + $0 * 1_000) }
        var rng = SplitMix(seed: 7)
        validities.shuffle(using: &rng)
        for v in validities {
            let id = try h.enqueue(channel: .sms, to: "+62811\(String(format: "%07d", v / 1000))", validityMillis: v)
            expiry[id] = engineStart + v
        }
        var config = h.configuration(providers: [log.spec("paced", rate: 50, burst: 5)], routes: engineRoutes([.sms: ["paced"]]))
        config.workers = 8
        h.start(config, realTime: true)
        h.events.wait(for: 150, timeout: 60) {
            if case .finished(_, .sent, _, _) = $0 { return true }; return false
        }
        let sends = log.entries.withLock { $0 }
        XCTAssertEqual(sends.count, 150, "every job sent once")
        XCTAssertEqual(Set(sends.map(\.1)).count, 150)
        // At most rate + burst (55) in any second as the limiter grants them; the provider sees the
        // grant a moment later, after the lane thread runs again, so a thread descheduled for up to
        // 100 ms on a loaded machine can move up to 5 grants into the next second (59 was seen once).
        for (i, (t, _)) in sends.enumerated() {
            let inSecond = sends[i...].prefix { $0.0 < t + 1_000 }.count
            XCTAssertLessThanOrEqual(inSecond, 60, "at most rate + burst (+ 5 late) in any second (from send \(i))")
        }
        let span = sends.last!.0 - sends.first!.0
        XCTAssertGreaterThanOrEqual(span, 2_700, "150 at 50/s after a burst of 5 take about 2.9 s")
        // The first claim's jobs may start before the rest are claimed; from then on the soonest
        // to expire go first.
        // Order as the provider saw it: the lane threads that make the calls may swap neighbours on a
        // loaded machine (a thread descheduled for more than the 20 ms between tokens), never more.
        let order = Array(sends.dropFirst(40).map { expiry[$0.1]! })
        for i in order.indices.dropLast(3) {
            XCTAssertLessThanOrEqual(
                order[...i].max()!, order[(i + 3)...].min()!, "the backlog drains in expiry order (at send \(i + 40))")
        }
        let load = try XCTUnwrap(h.pool?.providerLoad.first)
        XCTAssertEqual(load.rate, 50)
        XCTAssertEqual(load.waiting, 0)
    }

    /// A provider's 429s clearly over its limit (three, nothing else answered) lower its rate
    /// (counted as throttled) and the jobs are retried as before.
    func testThrottleAnswerLowersTheRate() throws {
        let h = try EngineHarness()
        let log = TimedLog()
        let spec = log.spec("busy", rate: 40, burst: 40) { n in
            n <= 3 ? .retryable(reason: "busy HTTP 429", retryAfterMillis: nil, status: 429) : .sent(providerMessageID: nil, status: 200)
        }
        h.start(h.configuration(providers: [spec], routes: engineRoutes([.sms: ["busy"]])), realTime: true)
        let ids = try (0..<3).map { _ in try h.enqueue(channel: .sms) }
        for id in ids { XCTAssertEqual(h.events.finished(id).first, .retry(runAt: engineStart + 1_000)) }
        let load = try XCTUnwrap(h.pool?.providerLoad.first)
        XCTAssertEqual(load.throttled, 3)
        XCTAssertEqual(load.rate, 20, "halved")
        h.advance(1_000)
        for id in ids { XCTAssertEqual(h.events.finished(id, count: 2).last, .sent) }
    }
}
