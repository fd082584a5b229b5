import Foundation
import Outbox
import RelayCore
import XCTest

@testable import Delivery

/// Ladders, the fallback channel and circuit breakers moving traffic, on a real outbox.
final class EngineRoutingTests: XCTestCase {
    func testNextRouteMovesToTheSecondProviderOfTheLadder() throws {
        let h = try EngineHarness()
        h.script.queue("meta", .nextRoute(reason: "meta 131026: not a WhatsApp user", status: 400))
        h.start(
            h.configuration(ladders: [.whatsapp: ["meta", "twilio"]]))
        let id = try h.enqueue()
        XCTAssertEqual(h.events.finished(id, count: 2), [.nextRoute(step: 1, runAt: engineStart), .sent])
        XCTAssertEqual(h.script.sent.map(\.provider), ["meta", "twilio"])
        let attempts = try h.outbox.attempts(jobID: id)
        XCTAssertEqual(attempts.map(\.routeStep), [0, 1])
        XCTAssertEqual(attempts.map(\.outcome), [.nextRoute, .sent])
        XCTAssertEqual(try h.outbox.job(id: id)?.routeStep, 1)
    }

    func testNotOnWhatsAppFallsBackToTheSMSLadder() throws {
        let h = try EngineHarness()
        h.script.always("meta", .nextRoute(reason: "meta 131026", status: 400))
        h.start(
            h.configuration(
                providers: [h.script.spec("meta"), h.script.spec("sms-gw")],
                routes: engineRoutes([.whatsapp: ["meta"], .sms: ["sms-gw"]], fallbacks: [.whatsapp: .sms])))
        let id = try h.enqueue(channel: .whatsapp, otp: "735190")
        XCTAssertEqual(h.events.finished(id, count: 2).last, .sent)
        let sms = try XCTUnwrap(h.script.sent.last)
        XCTAssertEqual(sms.provider, "sms-gw")
        XCTAssertEqual(sms.channel, .sms)
        XCTAssertTrue(sms.text.hasPrefix("735190 adalah kode OTP"), "rendered with the SMS template")
        let attempts = try h.outbox.attempts(jobID: id)
        XCTAssertEqual(attempts.map(\.channel), ["whatsapp", "sms"])
        XCTAssertEqual(try h.outbox.job(id: id)?.channel, "whatsapp", "the job keeps the channel it was asked for")
    }

    func testNextRouteOnTheLastRungEndsDead() throws {
        let h = try EngineHarness()
        h.script.always("meta", .nextRoute(reason: "meta 131026", status: 400))
        h.start(h.configuration(ladders: [.whatsapp: ["meta"]]))
        let id = try h.enqueue()
        XCTAssertEqual(h.events.finished(id), [.dead(reason: "no route left: meta 131026")])
    }

    func testOpenBreakerSendsThroughTheNextRungWithoutSpendingAnAttempt() throws {
        let h = try EngineHarness()
        h.script.queue("meta", .retryable(reason: "meta HTTP 503", retryAfterMillis: nil, status: 503))
        let breaker = CircuitBreakerPolicy(consecutiveFailures: 1, coolDown: .milliseconds(30_000))
        let pool = h.start(
            h.configuration(ladders: [.whatsapp: ["meta", "twilio"]], breaker: breaker))
        let first = try h.enqueue(to: "+6281100000001")
        XCTAssertEqual(h.events.finished(first), [.retry(runAt: engineStart + 1_000)])
        // The breaker's times are monotonic milliseconds.
        XCTAssertEqual(pool.breaker(for: "meta")?.state, .open(until: h.monotonic.elapsedMillis() + 30_000))

        let second = try h.enqueue(to: "+6281100000002")
        XCTAssertEqual(h.events.finished(second), [.sent])
        let attempts = try h.outbox.attempts(jobID: second)
        XCTAssertEqual(attempts.map(\.provider), ["twilio"], "the open provider was skipped, not tried")
        XCTAssertEqual(try h.outbox.job(id: second)?.routeStep, 0, "skipping is not a move down the ladder")

        // The retry of the first job also avoids meta while the breaker is open.
        h.advance(1_000)
        XCTAssertEqual(h.events.finished(first, count: 2).last, .sent)
        XCTAssertEqual(h.script.sent.map(\.provider), ["meta", "twilio", "twilio"])

        // After the cool-down one probe goes to meta; its success closes the breaker.
        h.advance(29_000)
        let third = try h.enqueue(to: "+6281100000003")
        XCTAssertEqual(h.events.finished(third), [.sent])
        XCTAssertEqual(h.script.sent.last?.provider, "meta")
        XCTAssertEqual(pool.breaker(for: "meta")?.state, .closed)
        XCTAssertTrue(h.events.all.contains(.breaker(provider: "meta", state: .closed)))
    }

    func testEveryRungOpenDefersUntilTheFirstProbe() throws {
        let h = try EngineHarness()
        h.script.queue("sms", .retryable(reason: "twilio HTTP 500", retryAfterMillis: nil, status: 500))
        let breaker = CircuitBreakerPolicy(consecutiveFailures: 1, coolDown: .milliseconds(10_000))
        h.start(h.configuration(ladders: [.sms: ["sms"]], breaker: breaker))
        let first = try h.enqueue(channel: .sms, to: "+6281100000001")
        XCTAssertEqual(h.events.finished(first), [.retry(runAt: engineStart + 1_000)])
        let second = try h.enqueue(channel: .sms, to: "+6281100000002")
        XCTAssertEqual(h.events.finished(second), [.retry(runAt: engineStart + 10_000)])
        let attempts = try h.outbox.attempts(jobID: second)
        XCTAssertEqual(attempts.map(\.errorClass), ["circuit_open"])
        XCTAssertEqual(h.script.sent.count, 1, "nothing was sent while the breaker was open")
    }

    func testPerProviderConcurrencyLimit() throws {
        let h = try EngineHarness()
        h.script.holdNext("slow")
        h.start(
            h.configuration(
                providers: [h.script.spec("slow", maxConcurrency: 1)], routes: engineRoutes([.sms: ["slow"]]),
                workers: 3))
        let a = try h.enqueue(channel: .sms, to: "+6281100000001")
        XCTAssertEqual(h.script.entered.wait(timeout: .now() + 20), .success)
        let b = try h.enqueue(channel: .sms, to: "+6281100000002")
        // b is claimed and handed to a free worker, which must wait for the provider's only slot.
        h.events.wait {
            if case .claimed = $0 { return true }; return false
        }
        h.events.wait(for: 2) {
            if case .claimed = $0 { return true }; return false
        }
        XCTAssertEqual(h.script.sent.count, 1, "the second send waits for the provider's slot")
        h.script.gate.signal()
        XCTAssertEqual(h.events.finished(a), [.sent])
        XCTAssertEqual(h.events.finished(b), [.sent])
    }
}
