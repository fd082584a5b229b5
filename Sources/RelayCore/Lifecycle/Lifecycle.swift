import Dispatch

/// A point on the monotonic clock by which something must be done. Deadlines never follow the
/// wall clock, so a clock step cannot cut a shutdown short or stretch it.
public typealias Deadline = ContinuousClock.Instant

/// A long-lived part of the service (an HTTP listener, the worker pool, a sweeper, the store):
/// started once, shut down once by a deadline. `ServiceGroup` starts the parts in order and shuts
/// them down in reverse, in the manner of swift-service-lifecycle's `ServiceGroup`.
public protocol LifecycleComponent: AnyObject, Sendable {
    /// A short name for logs ("public http", "delivery", "store").
    var lifecycleName: String { get }
    /// Starts the component's threads or timers and returns. Throws when it cannot start
    /// (a port taken); nothing of it is left running then.
    func start() throws
    /// Stops by `deadline`: finishes what it can, abandons the rest (the store's leases make that
    /// safe) and returns whether everything finished in time. Called at most once, after `start`.
    func shutdown(by deadline: Deadline) -> Bool
}

extension Duration {
    /// Whole milliseconds, rounded toward zero (what SQLite columns, libcurl options and the
    /// logs take).
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Whole seconds, rounded toward zero.
    public var wholeSeconds: Int64 { components.seconds }
}

extension ContinuousClock.Instant {
    /// The time left until this instant, never negative.
    public var remaining: Duration {
        let left = self - ContinuousClock.now
        return left < .zero ? .zero : left
    }

    /// The same point as a `DispatchTime`, for semaphore and group waits.
    public var dispatchTime: DispatchTime {
        let (seconds, attoseconds) = remaining.components
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, ns < Int64(Int32.max) * 1_000_000_000 else { return .distantFuture }
        return .now() + .nanoseconds(Int(ns + attoseconds / 1_000_000_000))
    }
}
