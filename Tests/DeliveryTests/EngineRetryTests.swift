import Foundation
import Outbox
import RelayCore
import XCTest

@testable import Delivery

/// Retry, backoff, `Retry-After`, expiry and dead-lettering through a real SQLite outbox.
final class EngineRetryTests: XCTestCase {
    func testRetryableFailureIsRetriedAfterBackoffThenSent() throws {
        let h = try EngineHarness()
        h.script.queue("wa", .retryable(reason: "transport timeout: slow", retryAfterMillis: nil, status: nil))
        h.start(h.configuration(ladders: [.whatsapp: ["wa"]]))
        let id = try h.enqueue()

        // Maximal jitter after the first try: exactly the base delay.
        XCTAssertEqual(h.events.finished(id), [.retry(runAt: engineStart + 1_000)])
        let queued = try XCTUnwrap(h.outbox.job(id: id))
        XCTAssertEqual(queued.status, .queued)
        XCTAssertEqual(queued.runAt, engineStart + 1_000)

        h.advance(1_000)
        XCTAssertEqual(h.events.finished(id, count: 2).last, .sent)
        let attempts = try h.outbox.attempts(jobID: id)
        XCTAssertEqual(attempts.map(\.outcome), [.retryable, .sent])
        XCTAssertEqual(attempts[0].errorClass, "transport timeout")
        XCTAssertEqual(attempts.map(\.provider), ["wa", "wa"])
        XCTAssertEqual(attempts[1].providerMessageID, "wa-\(id)")
        let sent = try XCTUnwrap(h.outbox.job(id: id))
        XCTAssertEqual(sent.status, .sent)
        XCTAssertFalse(sent.hasPayload, "the OTP is erased once sent")
    }

    func testRetryAfterIsHonouredWhenLongerThanBackoff() throws {
        let h = try EngineHarness()
        h.script.queue("sms", .retryable(reason: "twilio HTTP 429", retryAfterMillis: 20_000, status: 429))
        h.start(h.configuration(ladders: [.sms: ["sms"]]))
        let id = try h.enqueue(channel: .sms)
        XCTAssertEqual(h.events.finished(id), [.retry(runAt: engineStart + 20_000)])
        XCTAssertEqual(try h.outbox.attempts(jobID: id).first?.httpStatus, 429)

        h.advance(19_999)
        h.advance(1)
        XCTAssertEqual(h.events.finished(id, count: 2).last, .sent)
        XCTAssertEqual(h.script.sent.count, 2)
    }

    func testRetryThatWouldLandAfterExpiryExpiresTheJob() throws {
        let h = try EngineHarness()
        h.script.always("sms", .retryable(reason: "smtp 451", retryAfterMillis: 90_000, status: 451))
        h.start(h.configuration(ladders: [.sms: ["sms"]]))
        let id = try h.enqueue(channel: .sms, validityMillis: 60_000)
        XCTAssertEqual(h.events.finished(id), [.expired])
        let job = try XCTUnwrap(h.outbox.job(id: id))
        XCTAssertEqual(job.status, .expired)
        XCTAssertFalse(job.hasPayload)
        XCTAssertEqual(try h.outbox.attempts(jobID: id).map(\.outcome), [.retryable])
    }

    func testJobClaimedAfterItsValidityIsExpiredWithoutSending() throws {
        let h = try EngineHarness()
        let id = try h.enqueue(channel: .sms, validityMillis: 10_000)
        h.clock.advance(millis: 10_000)
        h.start(h.configuration(ladders: [.sms: ["sms"]]))
        // The sweep at start-up expires it before any claim; nothing is sent.
        h.events.wait { $0 == .expired(count: 1) }
        XCTAssertEqual(try h.outbox.job(id: id)?.status, .expired)
        XCTAssertTrue(h.script.sent.isEmpty)
    }

    func testDeadAfterMaxAttempts() throws {
        let h = try EngineHarness()
        h.script.always("sms", .retryable(reason: "twilio HTTP 503", retryAfterMillis: nil, status: 503))
        let retry = RetryPolicy(baseDelay: .milliseconds(1_000), maxDelay: .milliseconds(1_000), maxAttempts: 3, random: .zero)
        h.start(
            h.configuration(
                ladders: [.sms: ["sms"]], retry: retry,
                breaker: CircuitBreakerPolicy(consecutiveFailures: 100)))
        let id = try h.enqueue(channel: .sms)
        let transitions = h.events.finished(id, count: 3)
        XCTAssertEqual(
            transitions,
            [
                .retry(runAt: engineStart), .retry(runAt: engineStart),
                .dead(reason: "gave up after 3 attempts: twilio HTTP 503"),
            ])
        let job = try XCTUnwrap(h.outbox.job(id: id))
        XCTAssertEqual(job.status, .dead)
        XCTAssertEqual(job.attempts, 3)
        XCTAssertEqual(job.lastError, "gave up after 3 attempts: twilio HTTP 503")
        XCTAssertTrue(job.hasPayload, "dead jobs keep the payload until expiry, for replay")
    }

    /// An sms job on the ladder sms → backup, whose first send (on sms) gets `answer`.
    private func smsJobWithBackup(firstAnswer answer: DeliveryOutcome) throws -> (EngineHarness, String) {
        let h = try EngineHarness()
        h.script.queue("sms", answer)
        h.start(h.configuration(ladders: [.sms: ["sms", "backup"]]))
        return (h, try h.enqueue(channel: .sms))
    }

    func testPermanentFailureEndsDeadWithItsReason() throws {
        let (h, id) = try smsJobWithBackup(firstAnswer: .permanent(reason: "twilio 21211: invalid To number", status: 400))
        XCTAssertEqual(h.events.finished(id), [.dead(reason: "twilio 21211: invalid To number")])
        XCTAssertEqual(try h.outbox.job(id: id)?.lastError, "twilio 21211: invalid To number")
        XCTAssertEqual(h.script.sent.map(\.provider), ["sms"], "a recipient problem does not try the next rung")
    }

    func testPermanentProviderFailureTriesTheNextRung() throws {
        let (h, id) = try smsJobWithBackup(firstAnswer: .permanent(reason: "twilio HTTP 401", status: 401))
        XCTAssertEqual(h.events.finished(id, count: 2), [.nextRoute(step: 1, runAt: engineStart), .sent])
        XCTAssertEqual(h.script.sent.map(\.provider), ["sms", "backup"])
    }
}

/// A KYC handler stand-in: succeeds on the first job it sees.
final class FakeKYCHandler: JobHandler {
    func handle(_ job: ClaimedJob, now: Int64) -> (JobTransition, AttemptReport) {
        (.sent, AttemptReport(outcome: .sent, provider: "sqekyc", startedAt: now, finishedAt: now, httpStatus: 200))
    }
}

final class EngineJobKindTests: XCTestCase {
    func kycJob(_ h: EngineHarness) -> NewJob {
        NewJob(
            kind: .kyc, channel: kycChannelName, recipient: "nik-3171", recipientMasked: "nik***", recipientHash: [2],
            secret: Array(#"{"name":"x"}"#.utf8), createdAt: engineStart, expiresAt: engineStart + 86_400_000)
    }

    func enqueue(_ h: EngineHarness, _ job: NewJob) throws -> String {
        let done = DispatchSemaphore(value: 0)
        let box = EngineBox<Result<EnqueueResult, OutboxError>?>(nil)
        h.outbox.enqueue(job) { r in
            box.set(r); done.signal()
        }
        done.wait()
        return try box.get!.get().id
    }

    func testOtherKindsGoToTheirHandler() throws {
        let h = try EngineHarness()
        h.start(
            h.configuration(ladders: [.sms: ["sms"]]),
            handlers: [.kyc: { FakeKYCHandler() }])
        let id = try enqueue(h, kycJob(h))
        XCTAssertEqual(h.events.finished(id), [.sent])
        XCTAssertEqual(try h.outbox.attempts(jobID: id).map(\.provider), ["sqekyc"])
        XCTAssertTrue(h.script.sent.isEmpty)
    }

    func testKindWithoutHandlerEndsDead() throws {
        let h = try EngineHarness()
        h.start(h.configuration(ladders: [.sms: ["sms"]]))
        let id = try enqueue(h, kycJob(h))
        XCTAssertEqual(h.events.finished(id), [.dead(reason: "no delivery for kyc on sqekyc")])
    }
}

final class EngineBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    var get: T { lock.lock(); defer { lock.unlock() }; return value }
}
