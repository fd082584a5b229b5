import RelayCore

/// Receipt writes: each runs inside the writer's batch transaction and is atomic on its own.
extension WriterContext {
    /// `item.record` on SQLite, atomically.
    func recordReceipt(_ item: ReceiptItem) throws(SQLiteError) -> ReceiptResult {
        let r = item.receipt
        return try atomically { db throws(SQLiteError) in
            try item.record(
                target: { () throws(SQLiteError) in
                    try db.withStatement(ReceiptSQL.target) { s throws(SQLiteError) -> (ReceiptTarget, Int)? in
                        s.bind(r.providerMessageID, to: ":message_id")
                        s.bind(r.provider, to: ":provider")
                        guard try s.step() else { return nil }
                        let target = ReceiptTarget(
                            jobID: s.string(0), status: JobStatus(rawValue: s.string(3)) ?? .dead, channel: s.string(4),
                            routeStep: s.int(5), attemptRouteStep: s.int(2), createdAt: s.int64(6), expiresAt: s.int64(7),
                            hasPayload: s.int(8) != 0)
                        return (target, s.int(1))
                    }
                },
                seen: { () throws(SQLiteError) in
                    try db.withStatement(ReceiptSQL.seen) { s throws(SQLiteError) in
                        s.bind(r.provider, to: ":provider")
                        s.bind(r.providerMessageID, to: ":message_id")
                        s.bind(r.providerStatus, to: ":provider_status")
                        s.bind(r.errorCode ?? "", to: ":error_code")
                        return try s.step()
                    }
                },
                move: { (t, id) throws(SQLiteError) in try apply(t, to: id, now: r.receivedAt) },
                insert: { (id, attempt, effect) throws(SQLiteError) in
                    try insertReceipt(
                        jobID: id, attempt: attempt, provider: r.provider, messageID: r.providerMessageID, kind: r.kind,
                        providerStatus: r.providerStatus, errorCode: r.errorCode, at: r.receivedAt, effect: effect)
                })
        }
    }

    /// Moves the job; the number of rows changed (0: its status no longer allows the move).
    private func apply(_ t: ReceiptTransition, to id: String, now: Int64) throws(SQLiteError) -> Int {
        let db = try connection()
        switch t {
        case .none:
            return 0
        case .delivered:
            let n = try db.run(ReceiptSQL.delivered) { s in
                s.bind(id, to: ":id")
                s.bind(now, to: ":now")
            }
            if n > 0 { erasedPayloads = true }
            return n
        case .nextRoute(let step, let runAt):
            return try db.run(ReceiptSQL.nextRoute) { s in
                s.bind(id, to: ":id")
                s.bind(step, to: ":route_step")
                s.bind(runAt, to: ":run_at")
                s.bind("failure receipt after acceptance", to: ":last_error")
                s.bind(now, to: ":now")
            }
        case .undelivered(let reason):
            let n = try db.run(ReceiptSQL.undelivered) { s in
                s.bind(id, to: ":id")
                s.bind(reason, to: ":last_error")
                s.bind(now, to: ":now")
            }
            if n > 0 { erasedPayloads = true }
            return n
        }
    }

    private func insertReceipt(
        jobID: String, attempt: Int, provider: String, messageID: String, kind: ReceiptKind,
        providerStatus: String, errorCode: String?, at: Int64, effect: String
    ) throws(SQLiteError) {
        try connection().run(ReceiptSQL.insert) { s in
            s.bind(jobID, to: ":job_id")
            s.bind(attempt, to: ":attempt")
            s.bind(provider, to: ":provider")
            s.bind(messageID, to: ":message_id")
            s.bind(kind.rawValue, to: ":kind")
            s.bind(providerStatus, to: ":provider_status")
            s.bind(errorCode ?? "", to: ":error_code")
            s.bind(at, to: ":received_at")
            s.bind(effect, to: ":effect")
        }
    }

    /// Sent jobs whose `fallback_at` passed with no delivered receipt go to the next rung (run by
    /// each claim, so the same claim can take them); each gets a `timeout` receipts row.
    func fallbackDue(now: Int64) throws(SQLiteError) -> Int {
        let db = try connection()
        var moved: [String] = []
        try db.withStatement(ReceiptSQL.fallbackDue) { s throws(SQLiteError) in
            s.bind(now, to: ":now")
            while try s.step() { moved.append(s.string(0)) }
        }
        for id in moved {
            let last = try db.withStatement(ReceiptSQL.lastAttempt) { s throws(SQLiteError) -> (Int, String, String)? in
                s.bind(id, to: ":job_id")
                return try s.step() ? (s.int(0), s.string(1), s.string(2)) : nil
            }
            guard let (attempt, provider, messageID) = last else { continue }
            try insertReceipt(
                jobID: id, attempt: attempt, provider: provider, messageID: messageID, kind: .timeout,
                providerStatus: "no_delivered_receipt", errorCode: nil, at: now, effect: "next_route")
        }
        return moved.count
    }
}

/// One receipt through the writer, recorded atomically inside its batch.
extension ReceiptItem: WriteItem {
    func apply(_ context: WriterContext) throws(SQLiteError) {
        outcome.value = try context.recordReceipt(self)
    }

    /// A receipt that moved its job to the next rung makes it ready to claim.
    var wakesWorkers: Bool {
        if case .recorded(_, .nextRoute, _) = outcome.value { return true }
        return false
    }
}
