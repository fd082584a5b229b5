import RelayCore

/// One receipt for the PostgreSQL writer, recorded inside its batch transaction.
extension ReceiptItem {
    /// `record(target:seen:move:insert:)` with PostgreSQL's statements, on the batch's connection.
    func record(_ c: PGConnection, clockParam: String?) throws(PGError) -> ReceiptResult {
        let r = receipt
        return try record(
            target: { () throws(PGError) in
                let found = try c.exec(PGReceiptSQL.target, [r.providerMessageID, r.provider])
                guard found.count > 0 else { return nil }
                let target = ReceiptTarget(
                    jobID: found.string(0, 0), status: JobStatus(rawValue: found.string(0, 3)) ?? .dead,
                    channel: found.string(0, 4), routeStep: found.int(0, 5), attemptRouteStep: found.int(0, 2),
                    createdAt: found.int64(0, 6), expiresAt: found.int64(0, 7), hasPayload: found.bool(0, 8))
                return (target, found.int(0, 1))
            },
            seen: { () throws(PGError) in
                try c.exec(PGReceiptSQL.seen, [r.provider, r.providerMessageID, r.providerStatus, r.errorCode ?? ""]).count > 0
            },
            move: { (transition, id) throws(PGError) in
                switch transition {
                case .none: return 0
                case .delivered: return try c.exec(PGReceiptSQL.delivered, [clockParam, id]).affected
                case .nextRoute(let step, let runAt):
                    return try c.exec(
                        PGReceiptSQL.nextRoute,
                        [clockParam, id, String(step), String(runAt), String(r.receivedAt), "failure receipt after acceptance"]
                    ).affected
                case .undelivered(let reason): return try c.exec(PGReceiptSQL.undelivered, [clockParam, id, reason]).affected
                }
            },
            insert: { (id, attempt, effect) throws(PGError) in
                try c.exec(
                    PGReceiptSQL.insert,
                    [
                        id, String(attempt), r.provider, r.providerMessageID, r.kind.rawValue, r.providerStatus,
                        r.errorCode ?? "", String(r.receivedAt), effect,
                    ])
            })
    }
}
