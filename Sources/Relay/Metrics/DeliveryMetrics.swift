import Delivery
import Outbox
import RelayCore
import Synchronization

/// Counters and a latency histogram fed by the worker pool's events (in-process, cheap).
final class DeliveryMetrics: Sendable {
    /// Histogram bucket bounds in seconds for accepted → provider accepted.
    static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

    private struct State {
        var outcomes: [String: Int] = [:]  // "provider|outcome"
        var latency = PrometheusHistogram(bounds: DeliveryMetrics.bounds)
        var rescued = 0
        var renewed = 0
        var expired = 0
        var leaseLost = 0
        var breakerOpen: [String: Bool] = [:]
    }
    private let state = Mutex(State())
    private let clock: any WallClock

    init(clock: any WallClock) { self.clock = clock }

    func observe(_ event: DeliveryEvent) {
        switch event {
        case .finished(let id, let transition, let outcome, let provider):
            let latency: Double? =
                transition == .sent || transition.isAccepted
                ? JobIDGenerator.millis(of: id).map { Double(max(0, clock.nowMillis() - $0)) / 1000 } : nil
            state.withLock { s in
                s.outcomes["\(provider ?? "-")|\(outcome.rawValue)", default: 0] += 1
                if let latency { s.latency.observe(latency) }
            }
        case .rescued(let n): state.withLock { $0.rescued += n }
        case .renewed(let n): state.withLock { $0.renewed += n }
        case .expired(let n): state.withLock { $0.expired += n }
        case .leaseLost: state.withLock { $0.leaseLost += 1 }
        case .breaker(let provider, let st):
            let open: Bool
            if case .open = st { open = true } else { open = false }
            state.withLock { $0.breakerOpen[provider] = open }
        default: break
        }
    }

    func write(to p: inout PrometheusText) {
        let s = state.withLock { $0 }
        p.family("otp_relay_deliveries_total", "counter", "Delivery tries finished by this process, by provider and outcome.")
        for (key, n) in s.outcomes.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
            p.sample("otp_relay_deliveries_total", [("provider", parts[0]), ("outcome", parts[1])], Double(n))
        }
        p.histogram("otp_relay_accept_to_sent_seconds", "Webhook accepted → provider accepted, jobs sent by this process.", s.latency)
        p.single("otp_relay_rescued_leases_total", "counter", "Jobs returned to the queue after their lease ran out.", Double(s.rescued))
        p.single(
            "otp_relay_lease_renewals_total", "counter", "Leases of held jobs extended by the renewer (one per job per round).",
            Double(s.renewed))
        p.single("otp_relay_expired_total", "counter", "Jobs expired by the sweep before they could be sent.", Double(s.expired))
        p.single(
            "otp_relay_lease_lost_total", "counter", "Finishes refused because the worker no longer held the lease.", Double(s.leaseLost))
        p.family("otp_relay_circuit_open", "gauge", "1 while a provider's circuit breaker is open.")
        for (provider, open) in s.breakerOpen.sorted(by: { $0.key < $1.key }) {
            p.sample("otp_relay_circuit_open", [("provider", provider)], open ? 1 : 0)
        }
    }

    /// The scheduler's load per provider (docs/delivery.md, "Concurrency and rate limits").
    static func write(_ load: [ProviderLoad], to p: inout PrometheusText) {
        guard !load.isEmpty else { return }
        let families: [(String, String, String, (ProviderLoad) -> Double?)] = [
            ("otp_relay_delivery_in_flight", "gauge", "Sends in flight now, by provider.", { Double($0.inFlight) }),
            ("otp_relay_delivery_waiting", "gauge", "Jobs waiting for a provider's slot or token.", { Double($0.waiting) }),
            (
                "otp_relay_delivery_waiting_for_token", "gauge", "1 while a provider's waiting jobs wait for its rate.",
                { $0.waitingForToken ? 1 : 0 }
            ),
            (
                "otp_relay_delivery_throttled_total", "counter", "Throttle answers (429, 130429, 20429) by provider.",
                { Double($0.throttled) }
            ),
            ("otp_relay_delivery_rate_per_second", "gauge", "Sends per second a provider is allowed now (absent: unlimited).", { $0.rate }),
        ]
        for (name, type, help, value) in families {
            p.family(name, type, help)
            for l in load { if let v = value(l) { p.sample(name, [("provider", l.provider)], v) } }
        }
    }
}

extension JobTransition {
    /// Accepted by a provider with receipts (status `sent`, awaiting one).
    var isAccepted: Bool {
        if case .accepted = self { return true }
        return false
    }
}
