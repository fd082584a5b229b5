import RelayTestSupport
import XCTest

@testable import Relay

final class RetentionTests: XCTestCase {
    func testTerminalJobsArePrunedAfterTheRetentionPeriod() throws {
        let s = try TestService {
            $0.retention = .milliseconds(300); $0.retentionSweepInterval = .milliseconds(100)
        }
        for i in 0..<5 { _ = try s.post(WebhookRequest.body(identifier: "08123456790\(i)", otp: "55667\(i)", channel: "sms")) }
        let deadline = Date().addingTimeInterval(10)
        // Sent by the sandbox, then deleted once older than 300 ms, attempts with them.
        while try s.count() > 0 && Date() < deadline { usleep(50_000) }
        XCTAssertEqual(try s.count(), 0)
        XCTAssertEqual(try sqliteQuery(s.db, "SELECT count(*) FROM attempts"), ["0"])
    }

    func testQueuedAndDeadJobsAreKept() throws {
        let s = try TestService {
            $0.retention = .milliseconds(100); $0.retentionSweepInterval = .milliseconds(50); $0.deliveryEnabled = false
        }
        _ = try s.post(WebhookRequest.body(identifier: "081234567999", otp: "556699", channel: "sms"))
        usleep(400_000)
        XCTAssertEqual(try s.count(), 1, "a queued job is never pruned")
    }
}
