import CSQLite

/// A claimed row before its payload is opened (opening happens on the caller's thread).
struct ClaimedRow: Sendable {
    let id: String
    let kind: String
    let channel: String
    let recipientMasked: String
    let payload: [UInt8]?
    let attempts: Int
    let routeStep: Int
    let createdAt: Int64
    let expiresAt: Int64
    let language: String?
    let app: String?
    let token: Int64
    let leaseUntil: Int64
}

/// Delivery writes: claims, finishes, leases, expiry and replay. Each runs inside the writer's
/// batch transaction and is atomic on its own.
extension WriterContext {
    func expireDue(now: Int64) throws(SQLiteError) -> Int {
        let n = try connection().run(DeliverySQL.expire) { $0.bind(now, to: ":now") }
        let awaiting = try connection().run(ReceiptSQL.expireAwaiting) { $0.bind(now, to: ":now") }
        if n > 0 || awaiting > 0 { erasedPayloads = true }
        return n
    }

    func claim(limit: Int, leaseMillis: Int64, now: Int64) throws(SQLiteError) -> [ClaimedRow] {
        try atomically { db throws(SQLiteError) in
            _ = try expireDue(now: now)
            _ = try fallbackDue(now: now)
            let token = nextToken()
            let leaseUntil = now + leaseMillis
            var rows: [(row: ClaimedRow, runAt: Int64)] = []
            try db.withStatement(DeliverySQL.claim) { s throws(SQLiteError) in
                s.bind(token, to: ":token")
                s.bind(leaseUntil, to: ":lease_until")
                s.bind(now, to: ":now")
                s.bind(limit, to: ":limit")
                while try s.step() {
                    rows.append(
                        (
                            ClaimedRow(
                                id: s.string(0), kind: s.string(1), channel: s.string(2),
                                recipientMasked: s.string(3), payload: s.blob(4), attempts: s.int(5),
                                routeStep: s.int(6), createdAt: s.int64(7), expiresAt: s.int64(8),
                                language: s.optionalString(9), app: s.optionalString(10),
                                token: token, leaseUntil: leaseUntil), s.int64(11)
                        ))
                }
            }
            return rows.sorted { ($0.runAt, $0.row.id) < ($1.runAt, $1.row.id) }.map(\.row)
        }
    }

    /// A finished try: its attempts row (fenced: none when the lease was lost) and the job's
    /// transition. Two statements, each atomic on its own, and no savepoint around them: inside a
    /// savepoint SQLite copies every page the item touches into its sub-journal, which cost about
    /// a third of a finish. A transition that fails on its own (a constraint) deletes the row
    /// again, so the item still leaves nothing behind.
    func finish(
        id: String, token: Int64, transition: JobTransition, attempt a: AttemptReport,
        now: Int64
    ) throws(SQLiteError) -> FinishResult {
        let db = try connection()
        // The attempts row first, from the job as the try found it.
        let held = try db.run(DeliverySQL.insertFencedAttempt) { s in
            s.bind(id, to: ":id")
            s.bind(token, to: ":token")
            s.bindReport(a, channel: a.channel)
        }
        guard held == 1 else { return .leaseLost }
        let status: JobStatus, erase: Bool
        var lastError: String? = a.errorMessage ?? a.errorClass
        var runAt: Int64?, step: Int?, sentAt: Int64?, fallbackAt: Int64?
        switch transition {
        case .sent: status = .sent; erase = true; lastError = nil; sentAt = now
        case .accepted(let at): status = .sent; erase = false; lastError = nil; sentAt = now; fallbackAt = at
        case .retry(let at): status = .queued; erase = false; runAt = at
        case .nextRoute(let s, let at): status = .queued; erase = false; runAt = at; step = s
        case .dead(let reason): status = .dead; erase = false; lastError = reason
        case .expired: status = .expired; erase = true; lastError = lastError ?? "expired"
        }
        do {
            try db.run(DeliverySQL.transition) { s in
                s.bind(id, to: ":id")
                s.bind(status.rawValue, to: ":status")
                s.bind(a.provider, to: ":provider")
                s.bind(lastError, to: ":last_error")
                s.bind(runAt, to: ":run_at")
                s.bind(step, to: ":route_step")
                s.bind(erase, to: ":erase")
                s.bind(sentAt, to: ":sent_at")
                s.bind(fallbackAt, to: ":fallback_at")
                s.bind(now, to: ":now")
            }
        } catch  where !error.isStoreWide {
            // The job is unchanged, so the row is the one numbered attempts + 1.
            do {
                _ = try db.run(DeliverySQL.deleteUnfinishedAttempt) { $0.bind(id, to: ":id") }
            } catch  where !error.isStoreWide {
                // Not expected of a delete by key; fail the whole batch rather than keep half an item.
                throw SQLiteError(code: SQLITE_ERROR, operation: "finish: deleting the attempts row of a refused transition")
            }
            throw error
        }
        if erase { erasedPayloads = true }
        return .applied
    }

    func insertAttempt(
        jobID: String, number: Int, routeStep: Int, channel: String, report a: AttemptReport,
        token: Int64?
    ) throws(SQLiteError) {
        try connection().run(DeliverySQL.insertAttempt) { s in
            s.bind(jobID, to: ":job_id")
            s.bind(number, to: ":attempt")
            s.bind(routeStep, to: ":route_step")
            s.bindReport(a, channel: channel)
            s.bind(token, to: ":token")
        }
    }

    func renewLease(id: String, token: Int64, leaseMillis: Int64, now: Int64) throws(SQLiteError) -> Bool {
        try connection().run(DeliverySQL.renewLease) { s in
            s.bind(id, to: ":id")
            s.bind(token, to: ":token")
            s.bind(now + leaseMillis, to: ":lease_until")
            s.bind(now, to: ":now")
        } == 1
    }

    func releaseLeases(tokens: [Int64], now: Int64) throws(SQLiteError) -> Int {
        var n = 0
        for t in tokens {
            n += try connection().run(DeliverySQL.releaseLease) { s in
                s.bind(t, to: ":token")
                s.bind(now, to: ":now")
            }
        }
        return n
    }

    /// Expired leases go back to `queued`; the lost try counts, with an attempts row of its own.
    /// A job whose tries reach `maxAttempts` ends `dead` (a send that always outlasts its lease is
    /// not retried forever).
    func rescueExpiredLeases(now: Int64, maxAttempts: Int) throws(SQLiteError) -> Int {
        try requeueLeases(
            DeliverySQL.expiredLeases, now: now, maxAttempts: maxAttempts, lastError: "lease expired", errorClass: "lease_expired",
            message: "the worker's lease ran out before it finished")
    }

    /// At start-up of the owner: every job still `sending` was leased by a process that is gone
    /// (the owner's lock says no other may deliver), so it goes back to `queued` now instead of
    /// waiting for its lease to run out; the lost try counts, as a rescue does, and a job whose
    /// tries reach `maxAttempts` ends `dead` (a send that kills the process is not retried forever).
    func returnOrphanedLeases(now: Int64, maxAttempts: Int) throws(SQLiteError) -> Int {
        try requeueLeases(
            DeliverySQL.orphanedLeases, now: now, maxAttempts: maxAttempts, lastError: "owner stopped mid-send",
            errorClass: "owner_stopped", message: "the process holding the lease stopped before it finished")
    }

    private func requeueLeases(
        _ select: String, now: Int64, maxAttempts: Int, lastError: String, errorClass: String, message: String
    ) throws(SQLiteError) -> Int {
        try atomically { db throws(SQLiteError) in
            var leased: [(id: String, attempts: Int, step: Int, channel: String, token: Int64, until: Int64)] = []
            try db.withStatement(select) { s throws(SQLiteError) in
                if select == DeliverySQL.expiredLeases { s.bind(now, to: ":now") }
                while try s.step() { leased.append((s.string(0), s.int(1), s.int(2), s.string(3), s.int64(4), s.int64(5))) }
            }
            for j in leased {
                try db.run(DeliverySQL.requeueRescued) { s in
                    s.bind(j.id, to: ":id")
                    s.bind(lastError, to: ":last_error")
                    s.bind(now, to: ":now")
                    s.bind(Int64(clamping: maxAttempts), to: ":max_attempts")
                }
                let report = AttemptReport(
                    outcome: .retryable, provider: nil, startedAt: min(j.until, now),
                    finishedAt: now, errorClass: errorClass, errorMessage: message)
                try insertAttempt(
                    jobID: j.id, number: j.attempts + 1, routeStep: j.step, channel: j.channel,
                    report: report, token: j.token)
            }
            return leased.count
        }
    }

    func replay(id: String, actor: String, reason: String, now: Int64) throws(SQLiteError) -> ReplayResult {
        try atomically { db throws(SQLiteError) in
            let row = try db.withStatement(OperationsSQL.replayCandidate) { s throws(SQLiteError) -> (String, Int64, Bool)? in
                s.bind(id, to: ":id")
                return try s.step() ? (s.string(0), s.int64(1), s.int(2) != 0) : nil
            }
            guard let (statusText, expiresAt, hasPayload) = row else { return .notFound }
            let status = JobStatus(rawValue: statusText) ?? .dead
            guard status == .dead else { return status == .expired ? .expired : .notDead(status) }
            guard expiresAt > now, hasPayload else { return .expired }
            try db.run(OperationsSQL.replay) { s in
                s.bind(id, to: ":id")
                s.bind(now, to: ":now")
            }
            try db.run(OperationsSQL.recordReplay) { s in
                s.bind(id, to: ":job_id")
                s.bind(now, to: ":now")
                s.bind(actor, to: ":actor")
                s.bind(reason, to: ":reason")
            }
            return .replayed
        }
    }
}

/// Operator writes that go through the writer (retention).
extension WriterContext {
    func purge(createdBefore before: Int64, limit: Int) throws(SQLiteError) -> Int {
        let n = try connection().run(OperationsSQL.purge) { s in
            s.bind(before, to: ":created_before")
            s.bind(limit, to: ":limit")
        }
        if n > 0 { erasedPayloads = true }
        return n
    }
}

extension SQLiteStatement {
    /// An attempts row's columns from the try's report (`:channel` … `:latency_ms`, both
    /// `DeliverySQL.insertAttempt` and `insertFencedAttempt`).
    func bindReport(_ a: AttemptReport, channel: String?) {
        bind(channel, to: ":channel")
        bind(a.provider, to: ":provider")
        bind(a.startedAt, to: ":started_at")
        bind(a.finishedAt, to: ":finished_at")
        bind(a.outcome.rawValue, to: ":outcome")
        bind(a.httpStatus, to: ":http_status")
        bind(a.smtpStatus, to: ":smtp_status")
        bind(a.providerMessageID, to: ":provider_message_id")
        bind(a.errorClass, to: ":error_class")
        bind(a.errorMessage, to: ":error_message")
        bind(max(0, a.finishedAt - a.startedAt), to: ":latency_ms")
    }
}
