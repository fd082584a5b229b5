import Foundation
import Outbox
import RelayCore
import XCTest

@testable import Delivery

/// A rough drain measurement against an instant in-process provider; runs only when
/// `OTP_RELAY_ENGINE_BENCH=<jobs>` is set (the benchmark scripts own the real figures).
final class EngineThroughputTests: XCTestCase {
    func testDrainThroughput() throws {
        guard let n = ProcessInfo.processInfo.environment["OTP_RELAY_ENGINE_BENCH"].flatMap(Int.init) else {
            throw XCTSkip("set OTP_RELAY_ENGINE_BENCH=<jobs> to run")
        }
        let workers = ProcessInfo.processInfo.environment["OTP_RELAY_ENGINE_WORKERS"].flatMap(Int.init) ?? 8
        let h = try EngineHarness()
        let done = DispatchGroup()
        for i in 0..<n {
            done.enter()
            let job = NewJob.otp(
                channel: .sms, recipient: "+62811\(String(format: "%08d", i))", recipientHash: [1],
                otp: "123456", dedupeKey: nil, dedupeWindow: .zero, createdAt: engineStart,
                expiresAt: engineStart + 300_000)
            h.outbox.enqueue(job) { _ in done.leave() }
        }
        done.wait()
        var config = h.configuration(ladders: [.sms: ["fast"]], workers: workers)
        config.batchSize = 256
        let before = h.outbox.writerStatistics
        let t0 = monotonicNanos()
        h.start(config)
        h.events.wait(for: n, timeout: 600) {
            if case .finished = $0 { return true }; return false
        }
        let seconds = Double(monotonicNanos() - t0) / 1e9
        let after = h.outbox.writerStatistics
        let claims = h.events.all.filter {
            if case .claimed = $0 { return true }; return false
        }.count
        print(
            "engine drain: \(n) jobs, \(workers) workers, \(Int(Double(n) / seconds)) jobs/s;",
            "\(after.batches - before.batches) commits, \(after.items - before.items) writes, \(claims) claims")
    }
}
