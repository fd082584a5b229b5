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

/// What `/readyz` reports.
struct HealthReport: Sendable {
    var storeWritable: Bool
    var workersAlive: Bool
    var draining: Bool
    var ready: Bool { storeWritable && workersAlive && !draining }
    var json: String {
        "{\"ready\":\(ready),\"store_writable\":\(storeWritable),\"workers_alive\":\(workersAlive),\"draining\":\(draining)}"
    }
}
