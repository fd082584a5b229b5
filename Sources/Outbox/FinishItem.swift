/// One non-blocking `finish` (`SQLiteOutbox.finish(…, completion:)`): the writer applies it inside
/// its batch transaction like any other item, so many workers' finishes (and the dispatcher's
/// claims) share one commit, and the worker does not wait for it.
/// `@unchecked Sendable`: `result` is touched by the writer thread only, before `committed` or
/// `failed` hands it to the completion.
final class FinishItem: WriteItem, @unchecked Sendable {
    let id: String
    let token: Int64
    let transition: JobTransition
    let attempt: AttemptReport
    let now: Int64
    let completion: @Sendable (Result<FinishResult, OutboxError>) -> Void
    private var result: FinishResult?

    init(id: String, token: Int64, transition: JobTransition, attempt: AttemptReport, now: Int64,
         completion: @escaping @Sendable (Result<FinishResult, OutboxError>) -> Void) {
        self.id = id
        self.token = token
        self.transition = transition
        self.attempt = attempt
        self.now = now
        self.completion = completion
    }

    func apply(_ context: WriterContext) throws(SQLiteError) {
        result = try context.finish(id: id, token: token, transition: transition, attempt: attempt, now: now)
    }

    func committed() {
        if let result { completion(.success(result)) } else { completion(.failure(.unavailable("no result"))) }
    }

    func failed(_ error: OutboxError) {
        result = nil
        completion(.failure(error))
    }

    /// A retry or next-route that applied makes its job ready again.
    var wakesWorkers: Bool {
        guard result == .applied else { return false }
        switch transition {
        case .retry, .nextRoute: return true
        default: return false
        }
    }

    var completesOnQueue: Bool { true }
}
