import Foundation
import RelayCore
import RelayTestSupport
import XCTest

@testable import Relay

/// The rate limiters and the aggregated security log run on the monotonic clock: a wall clock
/// stepped +120 s does not end a window early (no reset of a throttled client), and one stepped
/// −120 s does not stretch it (no lock-out past the window). The service runs over a manual wall
/// clock and a manual monotonic clock; only the monotonic one ends the windows.
final class ClockStepTests: XCTestCase {
    let wall = ManualClock(SystemClock().nowMillis())
    let monotonic = ManualMonotonicClock()

    func service() throws -> TestService {
        try TestService(clock: wall, monotonic: monotonic) {
            $0.deliveryEnabled = false
            $0.rateLimits.failedAuthMax = 3
            $0.rateLimits.failedAuthWindow = .seconds(60)
            $0.rateLimits.perIdentifierMax = 2
            $0.rateLimits.perIdentifierWindow = .seconds(60)
        }
    }

    /// Status and Retry-After (0 when absent) of one request.
    func outcome(_ r: WireResponse) -> (Int, Int) { (r.status, Int(r.header("Retry-After") ?? "0") ?? -1) }

    func testWebhookFailedAuthThrottleAndSecurityLogIgnoreWallSteps() throws {
        let s = try service()
        let wrong = WebhookRequest.basic(TestService.user, "wrong")
        func attempt() throws -> (Int, Int) {
            outcome(try s.post(WebhookRequest.body(identifier: "081234567890", otp: "123456", channel: "sms"), authorization: wrong))
        }
        let log = s.service.publicHandler.securityLog
        for _ in 0..<3 { XCTAssertEqual(try attempt().0, 401) }
        XCTAssertEqual(log.suppressedCount, 2, "the first failure logged, the next two counted")
        var (status, retry) = try attempt()
        XCTAssertEqual(status, 429)
        XCTAssertTrue((1...60).contains(retry), "\(retry)")

        wall.advance(millis: 120_000)
        (status, retry) = try attempt()
        XCTAssertEqual(status, 429, "a forward wall step does not reset the window")
        XCTAssertTrue((1...60).contains(retry), "\(retry)")
        XCTAssertEqual(log.suppressedCount, 3, "nor the security log's interval")

        wall.advance(millis: -240_000)
        (status, retry) = try attempt()
        XCTAssertEqual(status, 429)
        XCTAssertTrue((1...60).contains(retry), "a backward wall step does not stretch the window: \(retry)")
        XCTAssertEqual(log.suppressedCount, 4)

        monotonic.advance(millis: 60_001)
        XCTAssertEqual(try attempt().0, 401, "the window ends by monotonic time, the wall 120 s behind")
        XCTAssertEqual(log.suppressedCount, 0, "the interval ended: its summary written, this failure logged in full")
        XCTAssertTrue(s.logLines.all.contains("webhook auth failed (summary)"))
        XCTAssertEqual(try s.post(WebhookRequest.body(identifier: "081234567891", otp: "223456", channel: "sms")).status, 200)
    }

    func testPerIdentifierLimitIgnoresWallSteps() throws {
        let s = try service()
        func post(_ otp: String) throws -> (Int, Int) {
            outcome(try s.post(WebhookRequest.body(identifier: "081234567892", otp: otp, channel: "sms")))
        }
        XCTAssertEqual(try post("100001").0, 200)
        XCTAssertEqual(try post("100002").0, 200)
        XCTAssertEqual(try post("100003").0, 429)
        wall.advance(millis: 120_000)
        XCTAssertEqual(try post("100004").0, 429, "a forward wall step does not reset the identifier's window")
        wall.advance(millis: -240_000)
        let (status, retry) = try post("100005")
        XCTAssertEqual(status, 429)
        XCTAssertTrue((1...60).contains(retry), "not stretched by a backward step: \(retry)")
        monotonic.advance(millis: 60_001)
        XCTAssertEqual(try post("100006").0, 200, "the window ends by monotonic time")
    }

    func testAdminFailedAuthThrottleIgnoresWallSteps() throws {
        let s = try service()
        func attempt(_ password: String = "wrong") throws -> Int {
            let c = try RawConnection(port: s.service.adminPort)
            try c.send("GET /v1/stats HTTP/1.1\r\nHost: x\r\nAuthorization: \(WebhookRequest.basic("admin", password))\r\n\r\n")
            return try XCTUnwrap(c.readResponse()).status
        }
        for _ in 0..<3 { XCTAssertEqual(try attempt(), 401) }
        XCTAssertEqual(try attempt(), 429)
        wall.advance(millis: 120_000)
        XCTAssertEqual(try attempt(), 429, "a forward wall step does not reset the window")
        XCTAssertEqual(try attempt("admin-password"), 200, "valid credentials are never throttled")
        wall.advance(millis: -240_000)
        XCTAssertEqual(try attempt(), 429)
        monotonic.advance(millis: 60_001)
        XCTAssertEqual(try attempt(), 401, "the window ends by monotonic time")
    }
}
