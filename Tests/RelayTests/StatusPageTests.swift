import RelayCore
import RelayTestSupport
import XCTest

@testable import Outbox
@testable import Relay

/// The status page's SVG charts: drawn from the store's per-minute and latency aggregates, served
/// over real HTTP with no script and no secret.
final class StatusPageTests: XCTestCase {
    func testChartScaleAndBuckets() {
        XCTAssertEqual(SVGChart.niceCeiling(0), 4)
        XCTAssertEqual(SVGChart.niceCeiling(3), 4)
        XCTAssertEqual(SVGChart.niceCeiling(5), 8)
        XCTAssertEqual(SVGChart.niceCeiling(17), 20)
        XCTAssertEqual(SVGChart.niceCeiling(41), 80)
        XCTAssertEqual(SVGChart.niceCeiling(1234), 2000)
        XCTAssertEqual(LatencyHistogram.bucket(0), 0)
        XCTAssertEqual(LatencyHistogram.bucket(99), 0)
        XCTAssertEqual(LatencyHistogram.bucket(100), 1)
        XCTAssertEqual(LatencyHistogram.bucket(59_999), 8)
        XCTAssertEqual(LatencyHistogram.bucket(60_000), 9)
        XCTAssertEqual(SVGChart.bucketLabel(0), "< 100 ms")
        XCTAssertEqual(SVGChart.bucketLabel(4), "< 2.5 s")
        XCTAssertEqual(SVGChart.bucketLabel(9), "≥ 60 s")
    }

    func testDeliveriesChartStacksOutcomesPerMinute() {
        let now: Int64 = 1_800_000_000_000 + 30_000
        let minute = (now / 60_000) * 60_000
        let svg = SVGChart.deliveriesPerMinute(
            [
                MinuteCount(minute: minute, outcome: .sent, count: 6), MinuteCount(minute: minute, outcome: .permanent, count: 2),
                MinuteCount(minute: minute - 10 * 60_000, outcome: .retryable, count: 1),
                MinuteCount(minute: minute - 60 * 60_000, outcome: .sent, count: 99),  // outside the hour
            ], now: now)
        XCTAssertEqual(svg.components(separatedBy: "<rect").count - 1, 3 + AttemptOutcome.allCases.count, "3 bars and the legend")
        XCTAssertTrue(svg.contains("sent: 6</title>"))
        XCTAssertTrue(svg.contains("permanent: 2</title>"))
        XCTAssertTrue(svg.contains("retryable: 1</title>"))
        XCTAssertFalse(svg.contains("sent: 99"), "the minute an hour ago is not drawn")
        // The scale is 8 for a peak of 8: the stack of the last minute fills the plot's height.
        XCTAssertEqual(SVGChart.plotH, 160)
        XCTAssertTrue(svg.contains("height=\"120\" fill=\"#2e7d32\""), "6 of 8: \(svg)")
        XCTAssertTrue(svg.contains("y=\"24\" width=\"10.1\" height=\"40\" fill=\"#c62828\""), "2 of 8, on top")
        XCTAssertFalse(SVGChart.deliveriesPerMinute([], now: now).contains("<title>2"), "no bars")
        XCTAssertTrue(SVGChart.deliveriesPerMinute([], now: now).contains("no tries in the last hour"))
    }

    func testThePageChartsRealTrafficWithoutSecrets() throws {
        let s = try TestService { $0.deliveryEnabled = false }
        var otps: [String] = []
        for i in 0..<7 {
            let otp = "9137\(i)5"
            otps.append(otp)
            let r = try s.post(WebhookRequest.body(identifier: "0812998877\(i)", otp: otp, channel: i < 2 ? "whatsapp" : "sms"))
            XCTAssertEqual(r.status, 200, r.text)
        }
        // Five sent (one 3 s after acceptance), two dead, as the workers would finish them.
        let now = SystemClock().nowMillis()
        let jobs = try s.service.store.claim(limit: 100, lease: .milliseconds(30_000), now: now)
        XCTAssertEqual(jobs.count, 7)
        for (i, j) in jobs.enumerated() {
            let dead = i >= 5
            let finished = now + (i == 0 ? 3_000 : 0)
            let r = try s.service.store.finish(
                id: j.id, token: j.token, transition: dead ? .dead(reason: "http 400 permanent") : .sent,
                attempt: AttemptReport(
                    outcome: dead ? .permanent : .sent, provider: "test", startedAt: now, finishedAt: finished,
                    httpStatus: dead ? 400 : 200, errorClass: dead ? "permanent" : nil),
                now: finished)
            XCTAssertEqual(r, .applied)
        }
        let c = try RawConnection(port: s.service.adminPort)
        try c.send("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: \(WebhookRequest.basic("admin", "admin-password"))\r\n\r\n")
        let page = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.header("Content-Security-Policy"), "default-src 'none'; style-src 'unsafe-inline'")
        let html = page.text
        XCTAssertTrue(html.contains("<meta http-equiv=\"refresh\" content=\"10\">"))
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 3)
        XCTAssertTrue(html.contains("sent: 4</title>") || html.contains("sent: 5</title>"), "sent tries per minute")
        XCTAssertTrue(html.contains("permanent: 2</title>"))
        XCTAssertTrue(html.contains("< 100 ms: 4</title>"), "four sent at once")
        XCTAssertTrue(html.contains("< 5 s: 1</title>"), "one sent after 3 s")
        XCTAssertTrue(html.contains("no receipts yet"))
        for banned in ["<script", "javascript:", " onload", " onclick", " src=", " href=", "https://"] {
            XCTAssertFalse(html.lowercased().contains(banned), "no script, no external resource: \(banned)")
        }
        for otp in otps { XCTAssertFalse(html.contains(otp), "no OTP in the page") }
        XCTAssertFalse(html.contains("998877"), "recipients masked")
        XCTAssertFalse(html.contains(TestService.password))
        XCTAssertFalse(html.contains("admin-password"))
    }
}
