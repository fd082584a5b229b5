import Dispatch
import Outbox
import RelayCore

/// Deletes terminal jobs (`sent`, `expired`) older than the retention period, in small batches so
/// the webhook's commits are never held up for long; their attempts go with them.
/// `@unchecked Sendable`: the timer is created in init and only resumed/cancelled after (both
/// thread-safe in Dispatch); every other property is immutable and Sendable.
final class RetentionSweeper: @unchecked Sendable {
    static let batch = 1_000

    private let store: any JobOperationsStore
    private let retentionMillis: Int64
    private let clock: any WallClock
    private let logger: Logger
    private let timer: DispatchSourceTimer

    init(store: any JobOperationsStore, retentionMillis: Int64, everyMillis: Int, clock: any WallClock, logger: Logger) {
        self.store = store
        self.retentionMillis = retentionMillis
        self.clock = clock
        self.logger = logger
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "otp-relay.retention", qos: .utility))
        timer.schedule(deadline: .now() + .milliseconds(everyMillis), repeating: .milliseconds(everyMillis))
        timer.setEventHandler { [weak self] in self?.sweep() }
    }

    func start() { timer.resume() }
    func stop() { timer.cancel() }

    /// One pass: batches until fewer than a batch are left. Returns the jobs deleted.
    @discardableResult
    func sweep() -> Int {
        let before = clock.nowMillis() - retentionMillis
        var total = 0
        while true {
            let n: Int
            do { n = try store.purge(createdBefore: before, limit: Self.batch) } catch {
                logger.warning("retention sweep failed", ["error": .string(error.description)])
                break
            }
            total += n
            if n < Self.batch { break }
        }
        if total > 0 { logger.info("retention: deleted terminal jobs", ["count": .int(Int64(total))]) }
        return total
    }
}
