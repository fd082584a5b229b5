import Dispatch
import RelayCore
import Synchronization

/// Security events (failed logins, throttled attempts) logged so that an attacker cannot write a
/// line per request: within an interval, the first event of each (event, key) is logged in full;
/// the rest are only counted, and one summary line per event name — how many were left out —
/// is written when the interval ends. At most `maxKeysPerInterval` full lines per interval;
/// past that every event is counted in the summary.
///
/// The summary is written by a one-shot timer armed at the first left-out event of an interval,
/// or by the next event when the timer is late. Nothing runs while there is nothing to report.
final class SecurityEventLog: Sendable {
    static let defaultMaxKeysPerInterval = 256

    private struct State {
        var openedAt: Int64?
        var logged: Set<String> = []
        var suppressed: [String: Int] = [:]
        var timerArmed = false
        /// Counts intervals, so a late timer does not end the next one.
        var generation = 0
    }

    let intervalMillis: Int64
    let maxKeysPerInterval: Int
    private let logger: Logger
    private let state = Mutex(State())

    init(logger: Logger, intervalMillis: Int64, maxKeysPerInterval: Int = SecurityEventLog.defaultMaxKeysPerInterval) {
        self.logger = logger
        self.intervalMillis = Swift.max(1, intervalMillis)
        self.maxKeysPerInterval = maxKeysPerInterval
    }

    /// Notes one event for `key` (a client address, a masked identifier). `write` logs the full
    /// line and runs only for the first event of the key in the interval.
    func note(_ event: String, key: String, now: Int64, write: () -> Void) {
        enum Action { case write, suppress(armTimerInMillis: Int64?, generation: Int) }
        let (action, late) = state.withLock { s -> (Action, [String: Int]) in
            var late: [String: Int] = [:]
            if let opened = s.openedAt, now >= opened + intervalMillis || now < opened {
                late = Self.close(&s)
            }
            if s.openedAt == nil { s.openedAt = now }
            let id = event + "\u{0}" + key
            if !s.logged.contains(id), s.logged.count < maxKeysPerInterval {
                s.logged.insert(id)
                return (.write, late)
            }
            s.suppressed[event, default: 0] += 1
            guard !s.timerArmed else { return (.suppress(armTimerInMillis: nil, generation: s.generation), late) }
            s.timerArmed = true
            return (.suppress(armTimerInMillis: (s.openedAt ?? now) + intervalMillis - now, generation: s.generation), late)
        }
        writeSummaries(late)
        switch action {
        case .write: write()
        case .suppress(let delay?, let generation):
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(Swift.max(1, delay)))) { [weak self] in
                self?.flush(generation: generation)
            }
        case .suppress(nil, _): break
        }
    }

    /// Ends the interval: writes the summaries of what was left out, and the next event of every
    /// key is logged again.
    func flush() {
        writeSummaries(state.withLock { Self.close(&$0) })
    }

    private func flush(generation: Int) {
        writeSummaries(state.withLock { s in s.generation == generation ? Self.close(&s) : [:] })
    }

    /// Events left out of the log in the current interval (tests).
    var suppressedCount: Int { state.withLock { $0.suppressed.values.reduce(0, +) } }

    private static func close(_ s: inout State) -> [String: Int] {
        let out = s.suppressed
        s = State(generation: s.generation + 1)
        return out
    }

    private func writeSummaries(_ counts: [String: Int]) {
        for (event, count) in counts.sorted(by: { $0.key < $1.key }) where count > 0 {
            logger.warning(
                "\(event) (summary)",
                ["suppressed": .int(Int64(count)), "interval_ms": .int(intervalMillis)])
        }
    }
}
