import Synchronization

/// Starts components in the order given and shuts them down in reverse, each by the deadline that
/// is left. When one fails to start, those already started are shut down (in reverse) and the
/// error is rethrown, so a taken port never leaves a worker pool running behind it.
public final class ServiceGroup: Sendable {
    /// What one component's shutdown came to.
    public struct ShutdownReport: Sendable, Equatable {
        public var name: String
        public var finishedInTime: Bool
        public var took: Duration
    }

    private enum State: Sendable {
        case idle
        case starting
        case running(started: Int)
        case stopped
    }

    public let components: [any LifecycleComponent]
    private let state = Mutex<State>(.idle)
    private let logger: Logger?

    public init(_ components: [any LifecycleComponent], logger: Logger? = nil) {
        self.components = components
        self.logger = logger
    }

    /// Starts every component in order. Called once.
    public func start() throws {
        state.withLock { s in
            guard case .idle = s else { preconditionFailure("ServiceGroup.start called twice") }
            s = .starting
        }
        for (i, c) in components.enumerated() {
            do {
                try c.start()
            } catch {
                logger?.error("start failed; stopping what was started", ["component": .string(c.lifecycleName)])
                let deadline = ContinuousClock.now + .seconds(5)
                for started in components[..<i].reversed() { _ = started.shutdown(by: deadline) }
                state.withLock { $0 = .stopped }
                throw error
            }
        }
        state.withLock { $0 = .running(started: components.count) }
    }

    /// Shuts the started components down in reverse order of start-up by `deadline`. Returns one
    /// report per component; a second call returns `[]`.
    @discardableResult
    public func shutdown(by deadline: Deadline) -> [ShutdownReport] {
        let started: Int = state.withLock { s in
            guard case .running(let n) = s else { return 0 }
            s = .stopped
            return n
        }
        var reports: [ShutdownReport] = []
        for c in components[..<started].reversed() {
            let t0 = ContinuousClock.now
            let ok = c.shutdown(by: deadline)
            reports.append(ShutdownReport(name: c.lifecycleName, finishedInTime: ok, took: ContinuousClock.now - t0))
            if !ok { logger?.warning("shutdown deadline passed", ["component": .string(c.lifecycleName)]) }
        }
        return reports
    }
}
