/// One non-blocking `finish` (`FinishItem`, `SQLiteOutbox.finish(…, completion:)`), applied by
/// the writer inside its batch transaction.
extension FinishItem: WriteItem {
    func apply(_ context: WriterContext) throws(SQLiteError) {
        outcome.value = try context.finish(id: id, token: token, transition: transition, attempt: attempt, now: now)
    }

    /// A finish lost to a power cut leaves the lease to run out: the job is sent again.
    var durable: Bool { false }

    /// A retry or next-route that applied makes its job ready again; an acceptance with a
    /// fallback time gives the dispatcher a new time to wake for.
    var wakesWorkers: Bool {
        guard outcome.value == .applied else { return false }
        switch transition {
        case .retry, .nextRoute, .accepted(fallbackAt: .some): return true
        default: return false
        }
    }
}
