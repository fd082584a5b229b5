import Dispatch
import Outbox
import RelayCore
import Synchronization

/// Records tries without making workers wait for the commit: each worker hands its job's outcome
/// to the store's non-blocking `finish` and takes the next job, so the writer folds many finishes
/// (and the dispatcher's claims) into one transaction. The job stays counted against the pool's
/// claim window, and its fencing token stays busy, until its finish committed (`settle`).
///
/// A finish the store could not commit (full disk, I/O error) is submitted again every
/// `retryInterval` while the job's lease, as last renewed (`LeaseKeeper`, monotonic), has more than
/// that left and for at most one lease; after that (or once a shutdown's deadline passed) it is
/// abandoned and logged, and the rescuer returns the job when its
/// lease runs out: the try then counts as `lease_expired` and the OTP is sent again
/// (at-least-once). A refused finish (`leaseLost`) is final: the job belongs to another lease.
final class FinishQueue: Sendable {
    /// Pause between submissions of a finish the store refused as unavailable.
    static let retryInterval: Duration = .milliseconds(200)

    private let context: DeliveryContext
    /// Called once per submitted job, after its finish committed (`true`) or was abandoned.
    private let settle: @Sendable (ClaimedJob, _ committed: Bool) -> Void
    private let outstanding = DispatchGroup()
    private let retries = DispatchQueue(label: "delivery-finish-retry")
    private let abandoning = Atomic<Bool>(false)

    init(context: DeliveryContext, settle: @escaping @Sendable (ClaimedJob, Bool) -> Void) {
        self.context = context
        self.settle = settle
    }

    /// Submits the try; returns at once.
    func submit(_ job: ClaimedJob, _ transition: JobTransition, _ report: AttemptReport) {
        outstanding.enter()
        send(job, transition, report, retried: 0, since: context.monotonic.elapsedMillis())
    }

    /// Waits until every submitted finish committed or was abandoned; false when `deadline` came
    /// first (the rest are abandoned on their next failure: their leases will be rescued).
    func flush(until deadline: DispatchTime) -> Bool {
        if outstanding.wait(timeout: deadline) == .success { return true }
        abandoning.store(true, ordering: .relaxed)
        return false
    }

    private func send(_ job: ClaimedJob, _ transition: JobTransition, _ report: AttemptReport, retried: Int, since: Int64) {
        context.store.finish(
            id: job.id, token: job.token, transition: transition, attempt: report,
            now: context.clock.nowMillis()
        ) { [self] result in
            switch result {
            case .success(.applied):
                context.emit(
                    .finished(
                        jobID: job.id, transition: transition, outcome: report.outcome,
                        provider: report.provider))
                done(job, committed: true)
            case .success(.leaseLost):
                context.emit(.leaseLost(jobID: job.id))
                done(job, committed: true)
            case .failure(let error):
                let pause = FinishQueue.retryInterval.wholeMilliseconds
                let left = context.leases.remaining(job) ?? 0
                let tooLong = context.monotonic.elapsedMillis() - since >= context.configuration.lease.wholeMilliseconds
                if abandoning.load(ordering: .relaxed) || left <= pause || tooLong {
                    context.logger.error(
                        "finish failed; the lease will expire and the job be retried",
                        [
                            "job_id": .string(job.id), "error": .string(error.description),
                            "submissions": .int(Int64(retried + 1)),
                        ])
                    done(job, committed: false)
                    return
                }
                if retried == 0 {
                    context.logger.warning(
                        "finish failed; submitting it again",
                        ["job_id": .string(job.id), "error": .string(error.description)])
                }
                retries.asyncAfter(deadline: .now() + .milliseconds(Int(FinishQueue.retryInterval.wholeMilliseconds))) { [self] in
                    send(job, transition, report, retried: retried + 1, since: since)
                }
            }
        }
    }

    private func done(_ job: ClaimedJob, committed: Bool) {
        settle(job, committed)
        outstanding.leave()
    }
}
