import Foundation
import RelayCore
import RelayTestSupport
import XCTest

@testable import Relay

/// Failed and throttled attempts write the first line per client per window and a summary,
/// never a line per request.
final class SecurityLogTests: XCTestCase {
    func testFirstPerKeyThenOneSummary() throws {
        let capture = LogCapture()
        // 1.5 s: the loop below must end inside the interval even under ThreadSanitizer on a loaded
        // machine (with 300 ms the timer fired mid-loop there and the counts split).
        let log = SecurityEventLog(logger: capture.logger, intervalMillis: 1_500)
        var written = 0
        for i in 0..<2_000 {
            log.note("auth throttled", key: i % 100 == 0 ? "b" : "a", now: 1_000) { written += 1 }
        }
        XCTAssertEqual(written, 2, "one line for each client")
        XCTAssertEqual(log.suppressedCount, 1_998)
        XCTAssertEqual(capture.count, 0)
        // The timer armed at the first left-out event writes the summary when the interval ends.
        let deadline = Date().addingTimeInterval(10)
        while capture.count == 0 && Date() < deadline { usleep(10_000) }
        XCTAssertEqual(capture.count, 1)
        XCTAssertTrue(capture.all.contains("\"msg\":\"auth throttled (summary)\",\"suppressed\":1998"), capture.all)
        // A new interval logs each client again.
        log.note("auth throttled", key: "a", now: 2_500) { written += 1 }
        XCTAssertEqual(written, 3)
    }

    func testDistinctKeysPerIntervalAreBounded() {
        let log = SecurityEventLog(logger: .silent, intervalMillis: 60_000, maxKeysPerInterval: 16)
        var written = 0
        for i in 0..<1_000 { log.note("auth failed", key: "10.0.\(i / 256).\(i % 256)", now: 5) { written += 1 } }
        XCTAssertEqual(written, 16)
        XCTAssertEqual(log.suppressedCount, 984)
        log.note("auth failed", key: "x", now: 60_005) { written += 1 }
        XCTAssertEqual(written, 17, "the next interval starts logging again")
        XCTAssertEqual(log.suppressedCount, 0)
    }

    /// The review's case over real HTTP: a burst of 10,000 wrong logins from one address.
    /// Before: one line per attempt (10,000); now: one "failed", one "throttled", then summaries.
    func testThrottledBurstWritesAFewLines() throws {
        let s = try TestService { $0.rateLimits.failedAuthMax = 5 }
        let c = try s.connect()
        let request = WebhookRequest.post(body: "{}", authorization: WebhookRequest.basic("simas-id", "guess"))
        var statuses: [Int: Int] = [:]
        for _ in 0..<100 {
            try c.send(String(repeating: request, count: 100))
            for _ in 0..<100 { statuses[try XCTUnwrap(c.readResponse()).status, default: 0] += 1 }
        }
        XCTAssertEqual(statuses, [401: 5, 429: 9_995])
        let lines = s.logLines.lines.filter { $0.contains("webhook auth") }
        XCTAssertEqual(lines.count, 2, lines.joined())
        s.service.publicHandler.securityLog.flush()
        let summaries = s.logLines.lines.filter { $0.contains("(summary)") }
        XCTAssertEqual(summaries.count, 2, summaries.joined())
        XCTAssertTrue(summaries.contains { $0.contains("\"webhook auth failed (summary)\",\"suppressed\":4") })
        XCTAssertTrue(summaries.contains { $0.contains("\"webhook auth throttled (summary)\",\"suppressed\":9994") })
    }
}
