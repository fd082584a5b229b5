import Delivery
import Outbox
import RelayCore

/// `GET /` on the admin listener: a small server-rendered status page with SVG charts (no script,
/// no external resources; it reloads itself every 10 s), built only from counts and masked,
/// secret-free records.
enum StatusPage {
    static func render(
        store: any JobOperationsStore & JobStatisticsStore, metrics: RelayMetrics, receipts: ReceiptMetrics? = nil, now: Int64
    ) -> String {
        var html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>otp-relay status</title>
            <meta http-equiv="refresh" content="10">
            <style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
            td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}
            .dead{color:#b00}.ok{color:#070}h1{font-size:20px}.charts{display:flex;flex-wrap:wrap;gap:8px 24px}
            .charts h2{font-size:15px;margin:.6em 0 .2em}</style></head><body>
            <h1>otp-relay</h1><p>\(escape(TimeExpression.iso(now)))</p>
            """
        html += charts(store: store, now: now)
        let channels = StatsJSON.channels
        html += "<h2>Jobs by channel</h2><table><tr><th class=l>channel</th>"
        html += JobStatus.allCases.map { "<th>\($0.rawValue)</th>" }.joined() + "<th>delivered %</th></tr>"
        for c in channels {
            let counts = (try? store.countsByStatus(channel: c)) ?? [:]
            html += "<tr><td class=l>\(c)</td>" + JobStatus.allCases.map { "<td>\(counts[$0] ?? 0)</td>" }.joined()
            html += "<td>\(percent(counts[.delivered] ?? 0, of: (counts[.delivered] ?? 0) + (counts[.undelivered] ?? 0)))</td></tr>"
        }
        html += "</table>"
        if let receipts { html += receiptsSection(receipts.snapshot) }
        let oldest = (try? store.oldestQueued()) ?? [:]
        html += "<h2>Queue</h2><table><tr><th class=l>channel</th><th>queued</th><th>oldest queued</th></tr>"
        for c in channels {
            let depth = (try? store.countsByStatus(channel: c))?[.queued] ?? 0
            let age = oldest[c].map { "\(max(0, now - $0) / 1000) s" } ?? "-"
            html += "<tr><td class=l>\(c)</td><td>\(depth)</td><td>\(age)</td></tr>"
        }
        html += "</table>"
        let hour = now - 3_600_000
        html += "<h2>Deliveries, last hour</h2><table><tr><th class=l>channel</th><th class=l>provider</th>"
        html += AttemptOutcome.allCases.map { "<th>\($0.rawValue)</th>" }.joined() + "</tr>"
        let counts = (try? store.attemptCounts(since: hour)) ?? []
        let pairs = Array(Set(counts.map { "\($0.channel)|\($0.provider)" })).sorted()
        for pair in pairs {
            let parts = pair.split(separator: "|", maxSplits: 1).map(String.init)
            html += "<tr><td class=l>\(escape(parts[0]))</td><td class=l>\(escape(parts[1]))</td>"
            for o in AttemptOutcome.allCases {
                let n = counts.first { $0.channel == parts[0] && $0.provider == parts[1] && $0.outcome == o }?.count ?? 0
                html += "<td\(o == .sent && n > 0 ? " class=ok" : (o == .permanent && n > 0 ? " class=dead" : ""))>\(n)</td>"
            }
            html += "</tr>"
        }
        html += "</table>"
        if let l = try? store.deliveryLatency(since: hour) {
            func ms(_ v: Int64?) -> String { v.map { "\($0) ms" } ?? "-" }
            html +=
                "<h2>Accepted → provider accepted, last hour</h2><table><tr><th>sent</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
                + "</tr>"
            html +=
                "<tr><td>\(l.count)</td><td>\(ms(l.p50))</td><td>\(ms(l.p90))</td><td>\(ms(l.p99))</td><td>\(ms(l.max))</td></tr></table>"
        }
        html += "<h2>Webhook</h2><table><tr><th class=l>accepted</th><td>\(metrics.accepted)</td></tr>"
        html += "<tr><th class=l>repeats</th><td>\(metrics.duplicates)</td></tr>"
        for (reason, n) in metrics.rejected.sorted(by: { $0.key < $1.key }) {
            html += "<tr><th class=l>rejected: \(escape(reason))</th><td>\(n)</td></tr>"
        }
        html += "</table>"
        let failures = (try? store.jobs(matching: JobFilter(status: .dead, limit: 20))) ?? []
        html +=
            "<h2>Recent failures</h2><table><tr><th class=l>job</th><th class=l>channel</th><th class=l>to</th><th>attempts</th><th "
            + "class=l>provider</th><th class=l>last error</th><th class=l>created</th></tr>"
        for j in failures {
            html += "<tr><td class=l>\(escape(j.id))</td><td class=l>\(escape(j.channel))</td><td class=l>\(escape(j.recipientMasked))</td>"
            html +=
                "<td>\(j.attempts)</td><td class=l>\(escape(j.provider ?? "-"))</td><td class='l dead'>\(escape(j.lastError ?? ""))</td>"
            html += "<td class=l>\(escape(TimeExpression.iso(j.createdAt)))</td></tr>"
        }
        html += "</table></body></html>\n"
        return html
    }

    /// Deliveries per minute by outcome over the last hour; accept → provider accepted and
    /// accept → delivered (receipts) latency distributions over the same hour.
    static func charts(store: any JobStatisticsStore, now: Int64) -> String {
        let since = (now / 60_000) * 60_000 - 59 * 60_000
        var html = "<div class=charts><div><h2>Deliveries per minute by outcome, last hour</h2>"
        html += SVGChart.deliveriesPerMinute((try? store.attemptsPerMinute(since: since)) ?? [], now: now) + "</div></div>"
        html += "<div class=charts><div><h2>Accepted → provider accepted, last hour</h2>"
        html += SVGChart.latency(
            try? store.sentLatencyHistogram(since: since), title: "Accepted to provider accepted latency, last hour",
            color: "#1565c0", empty: "nothing sent in the last hour")
        html += "</div><div><h2>Accepted → delivered (receipts), last hour</h2>"
        html += SVGChart.latency(
            (try? store.deliveredLatencyHistogram(since: since)) ?? nil, title: "Accepted to delivered latency, last hour",
            color: "#2e7d32", empty: "no receipts yet")
        return html + "</div></div>"
    }

    static func escape(_ s: String) -> String { TemplateRenderer.htmlEscape(s) }

    static func percent(_ n: Int, of total: Int) -> String {
        total > 0 ? String(format: "%.1f %%", 100 * Double(n) / Double(total)) : "-"
    }

    /// Receipts taken by this process: per provider delivered / undelivered / next rung and the
    /// delivered share; accepted → delivered on average and at the median bucket.
    static func receiptsSection(_ s: ReceiptMetrics.State) -> String {
        var html = "<h2>Delivery receipts (this process)</h2><table><tr><th class=l>provider</th><th>delivered</th>"
        html += "<th>undelivered</th><th>next rung</th><th>delivered %</th></tr>"
        let providers = Set(s.outcomes.keys.compactMap { $0.split(separator: "|").first.map(String.init) })
        for p in providers.sorted() {
            let d = s.outcomes["\(p)|delivered"] ?? 0, u = s.outcomes["\(p)|undelivered"] ?? 0, n = s.outcomes["\(p)|next_route"] ?? 0
            html +=
                "<tr><td class=l>\(escape(p))</td><td class=ok>\(d)</td><td>\(u)</td><td>\(n)</td><td>\(percent(d, of: d + u))</td></tr>"
        }
        html += "</table>"
        let average = s.latency.count > 0 ? String(format: "%.1f s", s.latency.sum / Double(s.latency.count)) : "-"
        let median = s.latency.medianBound.map { "≤ \(PrometheusText.format($0)) s" } ?? "-"
        html += "<table><tr><th class=l>time to delivered</th><th>receipts</th><th>average</th><th>median</th></tr>"
        html += "<tr><td class=l>accepted → delivered</td><td>\(s.latency.count)</td><td>\(average)</td><td>\(median)</td></tr></table>"
        let refused = s.refused.sorted { $0.key < $1.key }.map { "\(escape($0.key)) \($0.value)" }.joined(separator: ", ")
        html += "<p>refused: \(refused.isEmpty ? "none" : refused); unknown message ids: \(s.unknown.values.reduce(0, +))</p>"
        return html
    }
}
