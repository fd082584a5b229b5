import Delivery
import Outbox

/// Server-rendered SVG charts for the status page: inline markup only (no script, no external
/// resource, no font file), so the page's CSP (`default-src 'none'`) holds. Hovering a bar shows
/// its `<title>`. Inputs are counts and times only: nothing here can carry a secret.
enum SVGChart {
    static let width = 720
    static let height = 220
    static let left = 44
    static let right = 12
    static let top = 24
    static let bottom = 36

    static func color(_ o: AttemptOutcome) -> String {
        switch o {
        case .sent: "#2e7d32"
        case .retryable: "#f9a825"
        case .permanent: "#c62828"
        case .nextRoute: "#1565c0"
        case .expired: "#757575"
        }
    }

    /// Tries per minute for the hour ending at `now`, stacked by outcome, oldest on the left.
    static func deliveriesPerMinute(_ counts: [MinuteCount], now: Int64, minutes: Int = 60) -> String {
        let last = (now / 60_000) * 60_000
        let first = last - Int64(minutes - 1) * 60_000
        var byMinute: [Int64: [AttemptOutcome: Int]] = [:]
        for c in counts where c.minute >= first && c.minute <= last { byMinute[c.minute, default: [:]][c.outcome, default: 0] += c.count }
        let peak = byMinute.values.map { $0.values.reduce(0, +) }.max() ?? 0
        let scale = niceCeiling(peak)
        let plotW = Double(width - left - right)
        let slot = plotW / Double(minutes)
        var svg = open("Deliveries per minute by outcome, last hour") + axes(scale: scale, unit: "tries")
        for i in 0..<minutes {
            let minute = first + Int64(i) * 60_000
            guard let outcomes = byMinute[minute] else { continue }
            var y = Double(height - bottom)
            let x = Double(left) + Double(i) * slot + 0.5
            for o in AttemptOutcome.allCases {
                guard let n = outcomes[o], n > 0 else { continue }
                let h = Double(n) / Double(scale) * plotH
                y -= h
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(max(1, slot - 1)))\" height=\"\(f(h))\" fill=\"\(color(o))\">"
                svg += "<title>\(TimeExpression.iso(minute).prefix(16))Z \(o.rawValue): \(n)</title></rect>"
            }
        }
        for (i, label) in [(0, "-60 min"), (15, "-45"), (30, "-30"), (45, "-15"), (minutes - 1, "now")] {
            let x = Double(left) + (Double(i) + 0.5) * slot
            svg += text(x, Double(height - bottom + 14), label, anchor: i == minutes - 1 ? "end" : "middle")
        }
        var lx = Double(left)
        for o in AttemptOutcome.allCases {
            svg += "<rect x=\"\(f(lx))\" y=\"\(height - 12)\" width=\"10\" height=\"10\" fill=\"\(color(o))\"/>"
            svg += text(lx + 14, Double(height - 3), o.rawValue, anchor: "start")
            lx += Double(o.rawValue.count) * 7 + 34
        }
        if peak == 0 { svg += text(Double(width) / 2, Double(top) + plotH / 2, "no tries in the last hour", anchor: "middle") }
        return svg + "</svg>"
    }

    /// A latency distribution: one bar per `LatencyHistogram` bucket, with the count above it;
    /// `empty` in the middle when there is nothing to draw.
    static func latency(_ h: LatencyHistogram?, title: String, color: String, empty: String, shownWidth: Int = 560) -> String {
        var svg = open(title, shownWidth: shownWidth)
        guard let h, h.total > 0 else {
            return svg + axes(scale: 1, unit: "jobs", ticks: false)
                + text(Double(width) / 2, Double(top) + plotH / 2, empty, anchor: "middle") + "</svg>"
        }
        let scale = niceCeiling(h.counts.max() ?? 0)
        svg += axes(scale: scale, unit: "jobs")
        let slot = Double(width - left - right) / Double(h.counts.count)
        for (i, n) in h.counts.enumerated() {
            let x = Double(left) + Double(i) * slot
            let label = bucketLabel(i)
            if n > 0 {
                let bh = Double(n) / Double(scale) * plotH
                let y = Double(height - bottom) - bh
                svg += "<rect x=\"\(f(x + 4))\" y=\"\(f(y))\" width=\"\(f(slot - 8))\" height=\"\(f(bh))\" fill=\"\(color)\">"
                svg += "<title>\(label): \(n)</title></rect>"
                svg += text(x + slot / 2, y - 3, String(n), anchor: "middle")
            }
            svg += text(x + slot / 2, Double(height - bottom + 14), label, anchor: "middle")
        }
        return svg + "</svg>"
    }

    static func bucketLabel(_ i: Int) -> String {
        let b = LatencyHistogram.boundsMillis
        return i < b.count ? "< " + duration(b[i]) : "≥ " + duration(b[b.count - 1])
    }

    static func duration(_ ms: Int64) -> String {
        if ms < 1000 { return "\(ms) ms" }
        if ms % 1000 == 0 { return "\(ms / 1000) s" }
        return "\(ms / 1000).\(ms % 1000 / 100) s"
    }

    // MARK: drawing

    static var plotH: Double { Double(height - top - bottom) }

    /// The chart's root; drawn in a `width` × `height` box, shown `shownWidth` wide.
    private static func open(_ title: String, shownWidth: Int = width) -> String {
        let shownHeight = height * shownWidth / width
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"\(shownWidth)\" height=\"\(shownHeight)\" "
            + "viewBox=\"0 0 \(width) \(height)\" "
            + "font-family=\"sans-serif\" font-size=\"11\"><title>\(TemplateRenderer.htmlEscape(title))</title>"
    }

    private static func axes(scale: Int, unit: String, ticks: Bool = true) -> String {
        let x0 = left
        let y0 = height - bottom
        var s = "<line x1=\"\(x0)\" y1=\"\(top)\" x2=\"\(x0)\" y2=\"\(y0)\" stroke=\"#888\"/>"
        s += "<line x1=\"\(x0)\" y1=\"\(y0)\" x2=\"\(width - right)\" y2=\"\(y0)\" stroke=\"#888\"/>"
        guard ticks else { return s }
        for k in 0...4 {
            let v = scale * k / 4
            let y = Double(y0) - Double(k) / 4 * plotH
            if k > 0 { s += "<line x1=\"\(x0)\" y1=\"\(f(y))\" x2=\"\(width - right)\" y2=\"\(f(y))\" stroke=\"#eee\"/>" }
            s += text(Double(x0 - 4), y + 4, String(v), anchor: "end")
        }
        return s + text(Double(x0 - 4), Double(top - 4), unit, anchor: "end")
    }

    private static func text(_ x: Double, _ y: Double, _ s: String, anchor: String) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" fill=\"#333\">\(TemplateRenderer.htmlEscape(s))</text>"
    }

    /// 1, 2, 5 × 10ⁿ at or above `n` (4 at least, so the four ticks are whole numbers).
    static func niceCeiling(_ n: Int) -> Int {
        var step = 1
        while true {
            for m in [1, 2, 5] where m * step * 4 >= n && m * step * 4 >= 4 { return m * step * 4 }
            step *= 10
        }
    }

    private static func f(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
