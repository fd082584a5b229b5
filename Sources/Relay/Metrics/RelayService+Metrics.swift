import Delivery
import Outbox

extension RelayService {
    /// `/metrics`: webhook counters from memory, queue figures from the store.
    static func metricsText(
        store: any JobStatisticsStore, metrics: RelayMetrics,
        delivery: DeliveryMetrics, receipts: ReceiptMetrics? = nil, load: [ProviderLoad] = [], now: Int64
    ) -> String {
        var p = PrometheusText()
        p.single(
            "otp_relay_webhook_accepted_total", "counter", "Webhook requests answered 200 (new jobs and repeats).", Double(metrics.accepted)
        )
        p.single(
            "otp_relay_webhook_repeats_total", "counter", "Webhook repeats inside the dedupe window (answered with the first job).",
            Double(metrics.duplicates))
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
        p.family("otp_relay_queue_oldest_age_seconds", "gauge", "Age of the oldest queued job per channel (0 when none).")
        let oldest = (try? store.oldestQueued()) ?? [:]
        for c in StatsJSON.channels {
            p.sample("otp_relay_queue_oldest_age_seconds", [("channel", c)], Double(oldest[c].map { max(0, now - $0) } ?? 0) / 1000)
        }
        p.family("otp_relay_delivery_attempts_total", "counter", "Delivery tries recorded in the outbox, by channel, provider and outcome.")
        for a in (try? store.attemptCounts(since: 0)) ?? [] {
            p.sample(
                "otp_relay_delivery_attempts_total", [("channel", a.channel), ("provider", a.provider), ("outcome", a.outcome.rawValue)],
                Double(a.count))
        }
        if let l = try? store.deliveryLatency(since: now - 300_000), l.count > 0 {
            p.family("otp_relay_delivery_latency_seconds", "summary", "Accepted → provider accepted, jobs sent in the last 5 minutes.")
            for (q, v) in [("0.5", l.p50), ("0.9", l.p90), ("0.99", l.p99)] {
                p.sample("otp_relay_delivery_latency_seconds", [("quantile", q)], Double(v ?? 0) / 1000)
            }
            p.sample("otp_relay_delivery_latency_seconds_count", [], Double(l.count))
        }
        p.single(
            "otp_relay_store_writable", "gauge", "1 while the store takes writes (0: the last write batch failed: disk full, I/O error).",
            store.isWritable ? 1 : 0)
        if let ok = store.notificationsReachListener {
            p.single(
                "otp_relay_listener_ok", "gauge",
                "1 while notifications reach this node's PostgreSQL listener "
                    + "(0: its probe was lost, e.g. a transaction-pooling PgBouncer).",
                ok ? 1 : 0)
        }
        let log = store.writerStatistics.log
        p.family("otp_relay_wal_bytes", "gauge", "Size of the store's write-ahead log (-wal file).")
        p.sample("otp_relay_wal_bytes", [], Double(log.bytes))
        p.family("otp_relay_wal_degraded_bytes", "gauge", "WAL size past which /readyz reports degraded (0: no bound).")
        p.sample("otp_relay_wal_degraded_bytes", [], Double(log.degradedBytes))
        p.family("otp_relay_wal_uncheckpointed_frames", "gauge", "WAL frames the last checkpoint could not copy (held by a reader).")
        p.sample("otp_relay_wal_uncheckpointed_frames", [], Double(log.uncopiedFrames))
        p.family("otp_relay_wal_truncations_total", "counter", "Checkpoints that emptied the WAL file.")
        p.sample("otp_relay_wal_truncations_total", [], Double(log.truncations))
        delivery.write(to: &p)
        receipts?.write(to: &p)
        DeliveryMetrics.write(load, to: &p)
        return p.text
    }
}
