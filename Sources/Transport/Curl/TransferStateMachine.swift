/// The life of one transfer on the multi interface, pure (no curl, no threads) so every transition
/// is unit-tested (`TransferStateMachineTests`). The driver (`CurlMulti`) asks it before each step
/// and carries out the answer; the completion runs exactly once, whatever the order of events.
///
/// `built` → `queued` (handed to a driver) → `running` (added to the multi handle) → `ended`
/// (curl reported it done: the completion runs with the result), or → `aborted` from `queued` or
/// `running` (the driver stops past its deadline, or the handle could not be added: the
/// completion runs with `.aborted`). A transfer that failed before it was queued (a bad URL, a
/// refused scheme) goes straight from `built` to `ended`.
public struct TransferStateMachine: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        case built
        case queued
        case running
        case ended
        case aborted
    }

    public private(set) var phase: Phase = .built
    /// Monotonic nanoseconds when the transfer was added, for its duration.
    public private(set) var startedAt: UInt64 = 0

    public init() {}

    /// Handed to a driver's inbox. False when it was already queued or finished.
    public mutating func queue() -> Bool {
        guard phase == .built else { return false }
        phase = .queued
        return true
    }

    /// Added to the multi handle at `now`. False unless queued (an aborted one stays aborted).
    public mutating func start(now: UInt64) -> Bool {
        guard phase == .queued else { return false }
        phase = .running
        startedAt = now
        return true
    }

    /// curl says the transfer is done (or it failed before it was queued): true when the
    /// completion must run now, with the transfer's duration in milliseconds.
    public mutating func end(now: UInt64) -> Int64? {
        switch phase {
        case .built, .running:
            let ms = phase == .running ? Int64((now &- startedAt) / 1_000_000) : 0
            phase = .ended
            return ms
        case .queued, .ended, .aborted:
            return nil
        }
    }

    /// The driver gives up on it: true when the completion must run now with `.aborted`.
    public mutating func abort() -> Bool {
        switch phase {
        case .queued, .running, .built:
            phase = .aborted
            return true
        case .ended, .aborted:
            return false
        }
    }

    /// Whether the transfer is on the multi handle (must be removed before its easy is freed).
    public var isRunning: Bool { phase == .running }
    public var isFinished: Bool { phase == .ended || phase == .aborted }
}

/// How a transfer on the multi interface ended.
public enum TransferEnd<Value: Sendable>: Sendable {
    /// curl finished it: a response (any status) or a transport failure.
    case completed(Result<Value, TransportError>)
    /// The driver stopped before it ended (shutdown past its deadline): nothing is known about
    /// whether the far side received it.
    case aborted
}
