/// A histogram of durations in seconds as `/metrics` exports it: per upper bound the number of
/// observations at or under it (cumulative, like Prometheus' `le` buckets), their count and sum.
struct PrometheusHistogram: Sendable {
    /// Upper bounds in seconds, ascending (`+Inf` is implied).
    let bounds: [Double]
    /// `buckets[i]`: the observations at or under `bounds[i]`.
    private(set) var buckets: [Int]
    private(set) var count = 0
    private(set) var sum = 0.0

    init(bounds: [Double]) {
        self.bounds = bounds
        buckets = Array(repeating: 0, count: bounds.count)
    }

    mutating func observe(_ seconds: Double) {
        count += 1
        sum += seconds
        for (i, b) in bounds.enumerated() where seconds <= b { buckets[i] += 1 }
    }

    /// The smallest bound at or under which half the observations fall (nil: none, or past the last bound).
    var medianBound: Double? {
        guard count > 0 else { return nil }
        return bounds.indices.first { buckets[$0] * 2 >= count }.map { bounds[$0] }
    }
}

extension PrometheusText {
    /// A histogram family: HELP and TYPE, the `_bucket` samples (`+Inf` last), `_sum` and `_count`.
    mutating func histogram(_ name: String, _ help: String, _ h: PrometheusHistogram) {
        family(name, "histogram", help)
        for (i, b) in h.bounds.enumerated() {
            sample(name + "_bucket", [("le", Self.format(b))], Double(h.buckets[i]))
        }
        sample(name + "_bucket", [("le", "+Inf")], Double(h.count))
        sample(name + "_sum", [], h.sum)
        sample(name + "_count", [], Double(h.count))
    }
}
