import Outbox
import RelayCore

/// `GET /v1/stats` and `otp-relay stats`: job counts per status, overall and per channel.
public enum StatsJSON {
    public static let channels = ["email", "sms", "whatsapp", kycChannelName]

    public static func render(store: any JobStatisticsStore, now: Int64) throws(OutboxError) -> String {
        var parts = ["\"at\":\(now)", "\"jobs\":\(JobJSON.counts(try store.countsByStatus(channel: nil)))"]
        var per: [String] = []
        for c in channels {
            per.append("\(JSONText.quote(c)):\(JobJSON.counts(try store.countsByStatus(channel: c)))")
        }
        parts.append("\"by_channel\":{\(per.joined(separator: ","))}")
        return "{" + parts.joined(separator: ",") + "}"
    }
}

/// What `/readyz` reports. A WAL past its bound (a reader on an old snapshot holds checkpoints
/// back) is `degraded` but still ready (200): jobs are still committed and delivered, and taking
/// the node out of rotation would turn a disk-space warning into an outage; alert on
/// `otp_relay_wal_bytes` or on `"degraded":true`.
struct HealthReport: Sendable {
    var storeWritable: Bool
    var workersAlive: Bool
    var draining: Bool
    var walBytes: Int64 = 0
    var walDegraded = false
    var ready: Bool { storeWritable && workersAlive && !draining }
    var json: String {
        "{\"ready\":\(ready),\"degraded\":\(walDegraded),\"store_writable\":\(storeWritable),\"workers_alive\":\(workersAlive),"
            + "\"draining\":\(draining),\"wal_bytes\":\(walBytes)}"
    }
}
