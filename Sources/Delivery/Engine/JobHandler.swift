import Outbox

/// Delivery of a job kind other than OTP (KYC pushes to SQEKYC), plugged into the same pool so
/// every kind shares claiming, leases, fencing and shutdown. Like providers, handlers may hold
/// non-Sendable clients: each worker thread makes its own from a `@Sendable` factory.
public protocol JobHandler: AnyObject {
    /// Performs the job (blocking) and says where it goes next; the pool records it with
    /// `finish`. Reports must hold no secret.
    func handle(_ job: ClaimedJob, now: Int64) -> (JobTransition, AttemptReport)
}

/// A factory per job kind; the pool calls it once per worker thread, on first use.
public typealias JobHandlerFactory = @Sendable () -> any JobHandler
