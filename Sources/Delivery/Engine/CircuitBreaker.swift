import RelayCore
import Synchronization

/// When a provider's breaker opens and how long it stays open, with named defaults.
public struct CircuitBreakerPolicy: Sendable, Equatable {
    public static let defaultConsecutiveFailures = 5
    public static let defaultFailureRate = 0.5
    public static let defaultWindow = 20
    public static let defaultCoolDown: Duration = .seconds(30)
    public static let defaultProbeWait: Duration = .seconds(1)

    /// Opens after this many failures in a row.
    public var consecutiveFailures: Int
    /// Opens when at least this share of the last `window` results failed (only once `window`
    /// results were seen, so a quiet provider is not judged on two requests).
    public var failureRate: Double
    public var window: Int
    /// How long the breaker stays open before one probe is let through (half-open).
    public var coolDown: Duration
    /// While a probe is out, how long other requests wait before asking again (the probe usually
    /// answers well before a full cool-down).
    public var probeWait: Duration

    public init(
        consecutiveFailures: Int = defaultConsecutiveFailures, failureRate: Double = defaultFailureRate,
        window: Int = defaultWindow, coolDown: Duration = defaultCoolDown,
        probeWait: Duration = defaultProbeWait
    ) {
        self.consecutiveFailures = consecutiveFailures
        self.failureRate = failureRate
        self.window = window
        self.coolDown = coolDown
        self.probeWait = probeWait
    }
}

/// A circuit breaker for one provider: closed (traffic flows) → open after repeated failures
/// (traffic goes to the next rung) → half-open after the cool-down (one probe request) → closed
/// when the probe succeeds, open again when it fails. Times come from the caller (injectable clock).
/// Thread-safe.
public final class CircuitBreaker: Sendable {
    public enum State: Sendable, Equatable {
        case closed
        case open(until: Int64)
        case halfOpen
    }

    /// The answer to `acquire`.
    public enum Permit: Sendable, Equatable {
        case allowed
        /// Half-open: this request is the probe; its result decides the state.
        case probe
        /// Open (or a probe is already out): do not call the provider before `retryAt`.
        case rejected(retryAt: Int64)
    }

    private struct Inner {
        var state: State = .closed
        var consecutive = 0
        var recent: [Bool] = []  // ring of the last `window` results, true = failure
        var next = 0
        var probeOut = false
    }

    public let name: String
    public let policy: CircuitBreakerPolicy
    private let inner = Mutex(Inner())
    /// Closed with nothing to remember: no failure in a row, and the window (if any) full of
    /// successes. Then `acquire` allows, `state` is closed and a success changes nothing, so every
    /// worker's send skips the shared lock (it was the most contended one at a few thousand sends
    /// per second). Written under the lock only.
    private let healthy = Atomic<Bool>(false)

    public init(name: String, policy: CircuitBreakerPolicy = CircuitBreakerPolicy()) {
        self.name = name
        self.policy = policy
    }

    public var state: State {
        if healthy.load(ordering: .acquiring) { return .closed }
        return inner.withLock { $0.state }
    }

    private func updateHealth(_ s: Inner) {
        var clean = false
        if case .closed = s.state, s.consecutive == 0 {
            clean = policy.window == 0 || (s.recent.count >= policy.window && !s.recent.contains(true))
        }
        healthy.store(clean, ordering: .releasing)
    }

    /// Asks to send one request now.
    public func acquire(now: Int64) -> Permit {
        if healthy.load(ordering: .acquiring) { return .allowed }
        return inner.withLock { s in
            defer { updateHealth(s) }
            switch s.state {
            case .closed:
                return .allowed
            case .open(let until):
                guard now >= until else { return .rejected(retryAt: until) }
                s.state = .halfOpen
                s.probeOut = true
                return .probe
            case .halfOpen:
                if s.probeOut { return .rejected(retryAt: now + min(policy.probeWait, policy.coolDown).wholeMilliseconds) }
                s.probeOut = true
                return .probe
            }
        }
    }

    /// When `acquire` would refuse now, the time it names (open, or a probe already out); nil when
    /// it would let a request through. Changes nothing: the scheduler picks a rung with it and
    /// asks `acquire` when the send starts.
    public func retryAt(now: Int64) -> Int64? {
        if healthy.load(ordering: .acquiring) { return nil }
        return inner.withLock { s in
            switch s.state {
            case .closed: return nil
            case .open(let until): return now >= until ? nil : until
            case .halfOpen: return s.probeOut ? now + min(policy.probeWait, policy.coolDown).wholeMilliseconds : nil
            }
        }
    }

    /// Reports the result of a request that `acquire` allowed. `failed` means the provider
    /// misbehaved (transport error, 5xx, 429, bad credentials), not that the recipient was wrong.
    /// Returns the state after the report, so callers can log transitions.
    @discardableResult
    public func record(failed: Bool, now: Int64) -> State {
        if !failed && healthy.load(ordering: .acquiring) { return .closed }
        return inner.withLock { s in
            defer { updateHealth(s) }
            switch s.state {
            case .halfOpen:
                s.probeOut = false
                if failed {
                    s.state = .open(until: now + policy.coolDown.wholeMilliseconds)
                } else {
                    s = Inner()
                }
                return s.state
            case .open:
                return s.state  // a late result of a request sent before the breaker opened
            case .closed:
                s.consecutive = failed ? s.consecutive + 1 : 0
                if policy.window > 0 {
                    if s.recent.count < policy.window { s.recent.append(failed) } else { s.recent[s.next] = failed }
                    s.next = (s.next + 1) % policy.window
                }
                let failures = s.recent.lazy.filter { $0 }.count
                let rateTripped =
                    policy.window > 0 && s.recent.count >= policy.window
                    && Double(failures) >= policy.failureRate * Double(policy.window)
                if s.consecutive >= policy.consecutiveFailures || (failed && rateTripped) {
                    s.state = .open(until: now + policy.coolDown.wholeMilliseconds)
                    s.consecutive = 0
                    s.recent = []
                    s.next = 0
                }
                return s.state
            }
        }
    }

    /// Returns a probe permit that was not used (the send did not happen).
    public func cancelProbe() {
        inner.withLock { s in
            if case .halfOpen = s.state { s.probeOut = false }
        }
    }
}
