import Dispatch
import RelayCore
import Synchronization

extension PostgreSQLOutbox {
    /// Looks the key up in `dedupe_keys` (any node's jobs) on the lookup queue, off the caller's
    /// event loop. At most `maxPendingRepeatLookups` wait at once: past that (a flood of refused
    /// webhooks) the answer is nil at once, that is, the refusal stands without a query.
    public func findRepeat(
        of job: NewJob, executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (Result<EnqueueResult?, OutboxError>) -> Void
    ) {
        guard let key = job.dedupeKey else { return completion(.success(nil)) }
        guard repeatLookups.pending.add(1, ordering: .relaxed).newValue <= options.maxPendingRepeatLookups else {
            repeatLookups.pending.subtract(1, ordering: .relaxed)
            return completion(.success(nil))
        }
        let now = options.databaseClock ? nil : String(clock.nowMillis())
        repeatLookups.queue.async { [queries, repeatLookups] in
            let result: Result<EnqueueResult?, OutboxError>
            do throws(OutboxError) {
                let r = try queries.run(PGJobsSQL.repeatOf, [PG.bytea(key), now])
                result = .success(
                    r.count == 0
                        ? nil
                        : EnqueueResult(id: r.string(0, 0), status: JobStatus(rawValue: r.string(0, 1)) ?? .queued, duplicate: true))
            } catch {
                result = .failure(error)
            }
            repeatLookups.pending.subtract(1, ordering: .relaxed)
            guard let executor else { return completion(result) }
            executor.execute([RepeatLookupCompletion { completion(result) }])
        }
    }
}

/// The lookup queue and how many lookups wait on it.
final class RepeatLookups: Sendable {
    let queue = DispatchQueue(label: "outbox-pg-repeats")
    let pending = Atomic<Int>(0)
}

private final class RepeatLookupCompletion: DeferredCompletion {
    private let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    func complete() { body() }
}
