import Outbox
import Synchronization

/// Counters of the receipt endpoints (in-process, exported on `/metrics`): receipts by provider
/// and status, refusals by reason, accept → delivered latency, delivered / undelivered per
/// provider (the delivered ratio).
final class ReceiptMetrics: Sendable {
    static let bounds: [Double] = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600]

    struct State {
        var received: [String: Int] = [:]  // "provider|status"
        var refused: [String: Int] = [:]
        var unknown: [String: Int] = [:]
        var duplicates = 0
        var outcomes: [String: Int] = [:]  // "provider|delivered" / "provider|undelivered" / "provider|next_route"
        var latency = PrometheusHistogram(bounds: ReceiptMetrics.bounds)
    }
    private let state = Mutex(State())

    func refused(_ reason: String) { state.withLock { $0.refused[reason, default: 0] += 1 } }

    func took(_ r: Receipt, _ result: ReceiptResult, now: Int64) {
        state.withLock { s in
            s.received["\(r.provider)|\(r.providerStatus)", default: 0] += 1
            switch result {
            case .unknownMessage: s.unknown[r.provider, default: 0] += 1
            case .duplicate: s.duplicates += 1
            case .recorded(_, let t, let createdAt):
                guard t != .none else { return }
                s.outcomes["\(r.provider)|\(t.effect)", default: 0] += 1
                guard t == .delivered else { return }
                s.latency.observe(Double(max(0, now - createdAt)) / 1000)
            }
        }
    }

    var snapshot: State { state.withLock { $0 } }

    func write(to p: inout PrometheusText) {
        let s = snapshot
        p.family("otp_relay_receipts_total", "counter", "Signed delivery receipts received, by provider and provider status.")
        for (key, n) in s.received.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
            p.sample("otp_relay_receipts_total", [("provider", parts[0]), ("status", parts[1])], Double(n))
        }
        p.family("otp_relay_receipts_refused_total", "counter", "Receipt requests refused, by reason.")
        for (reason, n) in s.refused.sorted(by: { $0.key < $1.key }) {
            p.sample("otp_relay_receipts_refused_total", [("reason", reason)], Double(n))
        }
        p.family("otp_relay_receipts_unknown_total", "counter", "Signed receipts for a message id no attempt has (answered 200).")
        for (provider, n) in s.unknown.sorted(by: { $0.key < $1.key }) {
            p.sample("otp_relay_receipts_unknown_total", [("provider", provider)], Double(n))
        }
        p.single("otp_relay_receipts_duplicate_total", "counter", "Receipts received again (changed nothing).", Double(s.duplicates))
        p.family("otp_relay_receipt_effects_total", "counter", "What receipts did to jobs, by provider and effect.")
        for (key, n) in s.outcomes.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
            p.sample("otp_relay_receipt_effects_total", [("provider", parts[0]), ("effect", parts[1])], Double(n))
        }
        p.family("otp_relay_delivered_ratio", "gauge", "Delivered / (delivered + undelivered) by receipts, per provider.")
        let providers = Set(s.outcomes.keys.compactMap { $0.split(separator: "|").first.map(String.init) })
        for provider in providers.sorted() {
            let d = s.outcomes["\(provider)|delivered"] ?? 0
            let u = s.outcomes["\(provider)|undelivered"] ?? 0
            if d + u > 0 { p.sample("otp_relay_delivered_ratio", [("provider", provider)], Double(d) / Double(d + u)) }
        }
        p.histogram("otp_relay_accept_to_delivered_seconds", "Webhook accepted → delivered receipt.", s.latency)
    }
}
