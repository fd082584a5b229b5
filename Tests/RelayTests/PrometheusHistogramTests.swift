import XCTest

@testable import Relay

/// The one histogram of `/metrics` (delivery, receipt and auth latencies): cumulative `le`
/// buckets, `+Inf` equal to the count, the sum, and the status page's median bucket.
final class PrometheusHistogramTests: XCTestCase {
    func testCumulativeBucketsSumAndCountInTheExpositionFormat() {
        var h = PrometheusHistogram(bounds: [0.5, 1, 2.5])
        for seconds in [0.1, 0.5, 0.75, 2, 9] { h.observe(seconds) }
        var p = PrometheusText()
        p.histogram("x_seconds", "A test latency.", h)
        XCTAssertEqual(
            p.text,
            """
            # HELP x_seconds A test latency.
            # TYPE x_seconds histogram
            x_seconds_bucket{le="0.5"} 2
            x_seconds_bucket{le="1"} 3
            x_seconds_bucket{le="2.5"} 4
            x_seconds_bucket{le="+Inf"} 5
            x_seconds_sum 12.35
            x_seconds_count 5

            """)
    }

    func testMedianBound() {
        var h = PrometheusHistogram(bounds: [1, 2, 5])
        XCTAssertNil(h.medianBound, "no observations")
        h.observe(1.5)
        XCTAssertEqual(h.medianBound, 2)
        h.observe(0.5)
        XCTAssertEqual(h.medianBound, 1, "one of two at or under 1 s")
        h.observe(7)
        h.observe(8)
        h.observe(9)
        XCTAssertNil(h.medianBound, "past the last bound")
    }
}
