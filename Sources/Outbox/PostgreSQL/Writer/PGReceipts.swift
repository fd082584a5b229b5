import RelayCore

/// One receipt for the PostgreSQL writer, recorded inside its batch transaction.
extension ReceiptItem {
    /// Finds the attempt, checks for a repeat, moves the job as `decide` says and records the
    /// receipt; whether the move made the job ready to claim is `wakes`.
    func record(_ c: PGConnection, clockParam: String?) throws(PGError) -> ReceiptResult {
        let r = receipt
        let found = try c.exec(PGReceiptSQL.target, [r.providerMessageID, r.provider])
        guard found.count > 0 else { return .unknownMessage }
        let target = ReceiptTarget(
            jobID: found.string(0, 0), status: JobStatus(rawValue: found.string(0, 3)) ?? .dead, channel: found.string(0, 4),
            routeStep: found.int(0, 5), attemptRouteStep: found.int(0, 2), createdAt: found.int64(0, 6),
            expiresAt: found.int64(0, 7), hasPayload: found.bool(0, 8))
        let attempt = found.int(0, 1)
        let seen = try c.exec(PGReceiptSQL.seen, [r.provider, r.providerMessageID, r.providerStatus, r.errorCode ?? ""])
        if seen.count > 0 { return .duplicate(jobID: target.jobID) }
        var transition = decide(target)
        let id = target.jobID
        let moved: Int
        switch transition {
        case .none: moved = 0
        case .delivered: moved = try c.exec(PGReceiptSQL.delivered, [clockParam, id]).affected
        case .nextRoute(let step, let runAt):
            moved = try c.exec(
                PGReceiptSQL.nextRoute,
                [clockParam, id, String(step), String(runAt), String(r.receivedAt), "failure receipt after acceptance"]
            ).affected
        case .undelivered(let reason): moved = try c.exec(PGReceiptSQL.undelivered, [clockParam, id, reason]).affected
        }
        if moved == 0 { transition = .none }
        try c.exec(
            PGReceiptSQL.insert,
            [
                id, String(attempt), r.provider, r.providerMessageID, r.kind.rawValue, r.providerStatus, r.errorCode ?? "",
                String(r.receivedAt), transition.effect,
            ])
        return .recorded(jobID: id, transition: transition, createdAt: target.createdAt)
    }
}
