import Foundation
import Outbox
import RelayCore
import RelayTestSupport
import Synchronization
import XCTest

@testable import Delivery

/// Fencing under the rescuer, shutdown, and waking on commit.
final class EngineLeaseTests: XCTestCase {
    func testWorkerThatLostItsLeaseCannotFinish() throws {
        let h = try EngineHarness()
        h.script.holdNext("sms")
        h.start(h.configuration(ladders: [.sms: ["sms"]], lease: .seconds(5)))
        let id = try h.enqueue(channel: .sms)
        XCTAssertEqual(h.script.entered.wait(timeout: .now() + 20), .success, "the first send started")

        // The lease runs out while the send hangs; the rescuer returns the job to the queue and
        // another worker sends it.
        h.advance(5_000)
        h.events.wait { $0 == .rescued(count: 1) }
        XCTAssertEqual(h.events.finished(id), [.sent])

        // The first worker's late answer is refused by the store.
        h.script.gate.signal()
        h.events.wait { $0 == .leaseLost(jobID: id) }
        let attempts = try h.outbox.attempts(jobID: id)
        XCTAssertEqual(attempts.map(\.outcome), [.retryable, .sent])
        XCTAssertEqual(attempts.first?.errorClass, "lease_expired")
        XCTAssertEqual(try h.outbox.job(id: id)?.status, .sent)
    }

    func testShutdownFinishesInFlightSendAndReleasesUnstartedJobs() throws {
        let h = try EngineHarness()
        h.script.holdNext("sms")
        let pool = h.start(h.configuration(ladders: [.sms: ["sms"]], workers: 1))
        let a = try h.enqueue(channel: .sms, to: "+6281100000001")
        XCTAssertEqual(h.script.entered.wait(timeout: .now() + 20), .success)
        let b = try h.enqueue(channel: .sms, to: "+6281100000002")
        h.events.wait(for: 2) {
            if case .claimed = $0 { return true }; return false
        }
        XCTAssertEqual(try h.outbox.job(id: b)?.status, .sending, "b is leased, waiting for the only worker")

        let stopped = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            XCTAssertTrue(pool.shutdown(by: .now + .seconds(20)))
            stopped.signal()
        }
        h.events.wait { $0 == .stopping(unstarted: 1) }
        h.script.gate.signal()
        XCTAssertEqual(stopped.wait(timeout: .now() + 30), .success)

        XCTAssertEqual(try h.outbox.job(id: a)?.status, .sent, "the in-flight send finished")
        let released = try XCTUnwrap(h.outbox.job(id: b))
        XCTAssertEqual(released.status, .queued)
        XCTAssertEqual(released.attempts, 0, "a released lease does not count a try")
        XCTAssertNil(released.leaseUntil)
        XCTAssertTrue(h.events.all.contains(.released(count: 1)))
        XCTAssertEqual(h.script.sent.count, 1)
    }

    func testCommittedJobIsSentWithoutWaitingForATimer() throws {
        let h = try EngineHarness()
        // Every timer of the dispatcher is an hour away and the clock does not move: once it
        // sleeps, only the store's commit observer can wake it.
        h.start(h.configuration(ladders: [.sms: ["sms"]]))
        h.events.wait { $0 == .idle }
        let id = try h.enqueue(channel: .sms, to: "+6281100000001")
        XCTAssertEqual(h.events.finished(id), [.sent])
    }

    func testSandboxDefaultDeliversEveryChannelToTheFile() throws {
        let h = try EngineHarness()
        let file = h.dir.file("sandbox.jsonl")
        let config = try DeliveryConfiguration.parse(nil, sandboxFile: file, appName: "Bank Sinarmas", clock: h.clock)
        XCTAssertTrue(config.isSandboxOnly)
        h.start(config)
        let wa = try h.enqueue(channel: .whatsapp, to: "+6284512340987", otp: "482915")
        let mail = try h.enqueue(channel: .email, to: "someone@example.com", otp: "110022")
        XCTAssertEqual(h.events.finished(wa), [.sent])
        XCTAssertEqual(h.events.finished(mail), [.sent])
        let lines = readJSONLines(file)
        XCTAssertEqual(lines.count, 2)
        let byJob = Dictionary(uniqueKeysWithValues: lines.map { ($0["job_id"] as? String ?? "", $0) })
        XCTAssertEqual(byJob[wa]?["to"] as? String, "+6284512340987")
        XCTAssertEqual(byJob[wa]?["channel"] as? String, "whatsapp")
        XCTAssertEqual(byJob[wa]?["provider"] as? String, "sandbox")
        XCTAssertEqual(
            byJob[wa]?["message"] as? String,
            "*482915* adalah kode verifikasi Bank Sinarmas Anda. Berlaku 5 menit. Demi keamanan, jangan berikan kode ini kepada siapa pun.")
        XCTAssertEqual(byJob[mail]?["subject"] as? String, "Kode verifikasi Bank Sinarmas Anda")
        XCTAssertEqual(try h.outbox.job(id: wa)?.hasPayload, false)
    }
}

final class EngineLoggingTests: XCTestCase {
    func testLogsNeverHoldTheOTPOrTheFullRecipient() throws {
        let h = try EngineHarness()
        let lines = Mutex<[String]>([])
        let logger = Logger(level: .debug, clock: h.clock, sink: { l in lines.withLock { $0.append(l) } })
        h.script.queue("meta", .retryable(reason: "meta HTTP 503", retryAfterMillis: nil, status: 503))
        h.script.queue("twilio", .permanent(reason: "twilio 21211: invalid To number", status: 400))
        h.start(
            h.configuration(
                ladders: [.whatsapp: ["meta", "twilio"]],
                breaker: CircuitBreakerPolicy(consecutiveFailures: 1)), logger: logger)
        let id = try h.enqueue(to: "+6281234567890", otp: "918273")
        XCTAssertEqual(h.events.finished(id), [.retry(runAt: engineStart + 1_000)])
        h.advance(1_000)
        XCTAssertEqual(h.events.finished(id, count: 2).last, .dead(reason: "twilio 21211: invalid To number"))
        h.pool?.shutdown(by: .now + .seconds(5))
        let all = lines.withLock { $0.joined() }
        XCTAssertTrue(all.contains("circuit breaker"), "the breaker opening is logged")
        XCTAssertFalse(all.contains("918273"))
        XCTAssertFalse(all.contains("6281234567890"))
    }
}
