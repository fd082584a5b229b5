import Outbox

extension RelayService {
    /// `/metrics`: webhook counters from memory, queue figures from the store.
    static func metricsText(store: any OutboxStore, metrics: RelayMetrics) -> String {
        var p = PrometheusText()
        p.family("otp_relay_webhook_accepted_total", "counter", "Webhook requests answered 200 (new jobs and repeats).")
        p.sample("otp_relay_webhook_accepted_total", [], Double(metrics.accepted))
        p.family("otp_relay_webhook_repeats_total", "counter", "Webhook repeats inside the dedupe window (answered with the first job).")
        p.sample("otp_relay_webhook_repeats_total", [], Double(metrics.duplicates))
        p.family("otp_relay_webhook_rejected_total", "counter", "Webhook requests refused, by error code.")
        for (reason, n) in metrics.rejected.sorted(by: { $0.key < $1.key }) {
            p.sample("otp_relay_webhook_rejected_total", [("reason", reason)], Double(n))
        }
        p.family("otp_relay_jobs", "gauge", "Jobs in the outbox by channel and status.")
        for c in StatsJSON.channels {
            guard let counts = try? store.countsByStatus(channel: c) else { continue }
            for s in JobStatus.allCases {
                p.sample("otp_relay_jobs", [("channel", c), ("status", s.rawValue)], Double(counts[s] ?? 0))
            }
        }
        return p.text
    }
}
