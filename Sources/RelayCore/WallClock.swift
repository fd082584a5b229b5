import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time in epoch milliseconds; injectable so retry, backoff and expiry are testable.
/// (Not named `Clock`: that is the standard library's protocol for `ContinuousClock` and friends.)
public protocol WallClock: Sendable {
    func nowMillis() -> Int64
}

/// The wall clock (CLOCK_REALTIME).
public struct SystemClock: WallClock {
    public init() {}
    public func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// A clock that moves only when told to; for tests.
public final class ManualClock: WallClock {
    private let now: Mutex<Int64>
    public init(_ start: Int64 = 1_800_000_000_000) { now = Mutex(start) }
    public func nowMillis() -> Int64 { now.withLock { $0 } }
    public func advance(millis: Int64) { now.withLock { $0 += millis } }
    public func set(_ millis: Int64) { now.withLock { $0 = millis } }
}

/// Tests that step one time for both stored time points and durations may pass a `ManualClock` as
/// both clocks (it may step backwards, which a real monotonic clock never does).
extension ManualClock: MonotonicClock {
    public func elapsedMillis() -> Int64 { nowMillis() }
}

/// Monotonic nanoseconds for latency measurement and deadlines.
public func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Elapsed time on the monotonic clock: what in-process durations (lease renewal, breaker
/// cool-downs, limiter windows) are measured on. A wall-clock step (NTP, an operator's `date -s`)
/// never moves it. Stored time points (`run_at`, `lease_until`, `expires_at`) stay on the
/// `WallClock`. Injectable for tests.
public protocol MonotonicClock: Sendable {
    /// Milliseconds since an arbitrary fixed point; comparable only within one process.
    func elapsedMillis() -> Int64
}

/// CLOCK_MONOTONIC.
public struct SystemMonotonicClock: MonotonicClock {
    public init() {}
    public func elapsedMillis() -> Int64 { Int64(monotonicNanos() / 1_000_000) }
}

/// A monotonic clock that moves only when told to; for tests.
public final class ManualMonotonicClock: MonotonicClock {
    private let now: Mutex<Int64>
    public init(_ start: Int64 = 1_000_000) { now = Mutex(start) }
    public func elapsedMillis() -> Int64 { now.withLock { $0 } }
    public func advance(millis: Int64) { now.withLock { $0 += max(0, millis) } }
}
