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
    /// `INDEXED BY jobs_expiry`: without statistics the planner picks `jobs_claim (status=?)` and
    /// reads every queued row on each claim (the whole backlog, per claim, while draining).
    static let expireSQL = """
        UPDATE jobs INDEXED BY jobs_expiry SET status = 'expired', payload = NULL, lease_until = NULL, updated_at = ?1,
                        last_error = coalesce(last_error, 'expired')
        WHERE status IN ('queued', 'dead') AND expires_at <= ?1
        """

    func expireDue(now: Int64) throws(SQLiteError) -> Int {
        try connection().run(WriterContext.expireSQL) { $0.bind(1, now) }
    }

    static let claimSQL = """
        UPDATE jobs SET status = 'sending', lease_token = ?1, lease_until = ?2, updated_at = ?3
        WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_claim
                     WHERE status = 'queued' AND run_at <= ?3 AND expires_at > ?3
                     ORDER BY run_at, id LIMIT ?4)
        RETURNING id, kind, channel, recipient_masked, payload, attempts, route_step, created_at,
                  expires_at, language, app, run_at
        """

    func claim(limit: Int, leaseMillis: Int64, now: Int64) throws(SQLiteError) -> [ClaimedRow] {
        try atomically { db throws(SQLiteError) in
            _ = try expireDue(now: now)
            let token = nextToken()
            let leaseUntil = now + leaseMillis
            var rows: [(row: ClaimedRow, runAt: Int64)] = []
            try db.withStatement(WriterContext.claimSQL) { s throws(SQLiteError) in
                s.bind(1, token); s.bind(2, leaseUntil); s.bind(3, now); s.bind(4, limit)
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

    static let leaseCheckSQL = """
        SELECT attempts, route_step, channel FROM jobs WHERE id = ?1 AND status = 'sending' AND lease_token = ?2
        """

    static let transitionSQL = """
        UPDATE jobs SET status = ?2, attempts = attempts + 1, provider = coalesce(?3, provider),
                        last_error = ?4, run_at = coalesce(?5, run_at), route_step = coalesce(?6, route_step),
                        payload = CASE WHEN ?7 THEN NULL ELSE payload END, sent_at = coalesce(?8, sent_at),
                        lease_until = NULL, updated_at = ?9
        WHERE id = ?1
        """

    static let attemptSQL = """
        INSERT INTO attempts (job_id, attempt, route_step, channel, provider, started_at, finished_at, outcome,
                              http_status, smtp_status, provider_message_id, error_class, error_message,
                              latency_ms, lease_token)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
        """

    func finish(
        id: String, token: Int64, transition: JobTransition, attempt a: AttemptReport,
        now: Int64
    ) throws(SQLiteError) -> FinishResult {
        try atomically { db throws(SQLiteError) in
            let held = try db.withStatement(WriterContext.leaseCheckSQL) { s throws(SQLiteError) -> (Int, Int, String)? in
                s.bind(1, id); s.bind(2, token)
                return try s.step() ? (s.int(0), s.int(1), s.string(2)) : nil
            }
            guard let (attempts, routeStep, channel) = held else { return .leaseLost }
            let status: JobStatus, erase: Bool
            var lastError: String? = a.errorMessage ?? a.errorClass
            var runAt: Int64?, step: Int?, sentAt: Int64?
            switch transition {
            case .sent: status = .sent; erase = true; lastError = nil; sentAt = now
            case .retry(let at): status = .queued; erase = false; runAt = at
            case .nextRoute(let s, let at): status = .queued; erase = false; runAt = at; step = s
            case .dead(let reason): status = .dead; erase = false; lastError = reason
            case .expired: status = .expired; erase = true; lastError = lastError ?? "expired"
            }
            try db.run(WriterContext.transitionSQL) { s in
                s.bind(1, id); s.bind(2, status.rawValue); s.bind(3, a.provider); s.bind(4, lastError)
                s.bind(5, runAt); s.bind(6, step); s.bind(7, erase ? 1 : 0); s.bind(8, sentAt); s.bind(9, now)
            }
            try insertAttempt(
                jobID: id, number: attempts + 1, routeStep: routeStep, channel: a.channel ?? channel,
                report: a, token: token)
            return .applied
        }
    }

    func insertAttempt(
        jobID: String, number: Int, routeStep: Int, channel: String, report a: AttemptReport,
        token: Int64?
    ) throws(SQLiteError) {
        try connection().run(WriterContext.attemptSQL) { s in
            s.bind(1, jobID); s.bind(2, number); s.bind(3, routeStep); s.bind(4, channel); s.bind(5, a.provider)
            s.bind(6, a.startedAt); s.bind(7, a.finishedAt); s.bind(8, a.outcome.rawValue)
            s.bind(9, a.httpStatus); s.bind(10, a.smtpStatus); s.bind(11, a.providerMessageID)
            s.bind(12, a.errorClass); s.bind(13, a.errorMessage)
            s.bind(14, max(0, a.finishedAt - a.startedAt)); s.bind(15, token)
        }
    }

    func renewLease(id: String, token: Int64, leaseMillis: Int64, now: Int64) throws(SQLiteError) -> Bool {
        try connection().run(
            """
            UPDATE jobs SET lease_until = ?3, updated_at = ?4
            WHERE id = ?1 AND status = 'sending' AND lease_token = ?2
            """
        ) { s in
            s.bind(1, id); s.bind(2, token); s.bind(3, now + leaseMillis); s.bind(4, now)
        } == 1
    }

    func releaseLeases(tokens: [Int64], now: Int64) throws(SQLiteError) -> Int {
        var n = 0
        for t in tokens {
            n += try connection().run(
                """
                UPDATE jobs SET status = 'queued', lease_until = NULL, updated_at = ?2
                WHERE status = 'sending' AND lease_token = ?1
                """
            ) { s in
                s.bind(1, t); s.bind(2, now)
            }
        }
        return n
    }

    /// Expired leases go back to `queued`; the lost try counts, with an attempts row of its own.
    func rescueExpiredLeases(now: Int64) throws(SQLiteError) -> Int {
        try atomically { db throws(SQLiteError) in
            var expired: [(id: String, attempts: Int, step: Int, channel: String, token: Int64, until: Int64)] = []
            try db.withStatement(
                """
                SELECT id, attempts, route_step, channel, lease_token, lease_until FROM jobs INDEXED BY jobs_lease
                WHERE status = 'sending' AND lease_until <= ?1
                """
            ) { s throws(SQLiteError) in
                s.bind(1, now)
                while try s.step() { expired.append((s.string(0), s.int(1), s.int(2), s.string(3), s.int64(4), s.int64(5))) }
            }
            for j in expired {
                try db.run(
                    """
                    UPDATE jobs SET status = 'queued', attempts = attempts + 1, last_error = 'lease expired',
                                    run_at = ?2, lease_until = NULL, updated_at = ?2
                    WHERE id = ?1
                    """
                ) { s in
                    s.bind(1, j.id); s.bind(2, now)
                }
                let report = AttemptReport(
                    outcome: .retryable, provider: nil, startedAt: min(j.until, now),
                    finishedAt: now, errorClass: "lease_expired",
                    errorMessage: "the worker's lease ran out before it finished")
                try insertAttempt(
                    jobID: j.id, number: j.attempts + 1, routeStep: j.step, channel: j.channel,
                    report: report, token: j.token)
            }
            return expired.count
        }
    }

    func replay(id: String, actor: String, reason: String, now: Int64) throws(SQLiteError) -> ReplayResult {
        try atomically { db throws(SQLiteError) in
            let row = try db.withStatement(
                "SELECT status, expires_at, payload IS NOT NULL FROM jobs WHERE id = ?1"
            ) { s throws(SQLiteError) -> (String, Int64, Bool)? in
                s.bind(1, id)
                return try s.step() ? (s.string(0), s.int64(1), s.int(2) != 0) : nil
            }
            guard let (statusText, expiresAt, hasPayload) = row else { return .notFound }
            let status = JobStatus(rawValue: statusText) ?? .dead
            guard status == .dead else { return status == .expired ? .expired : .notDead(status) }
            guard expiresAt > now, hasPayload else { return .expired }
            try db.run(
                """
                UPDATE jobs SET status = 'queued', run_at = ?2, route_step = 0, lease_until = NULL, updated_at = ?2
                WHERE id = ?1
                """
            ) { s in
                s.bind(1, id); s.bind(2, now)
            }
            try db.run("INSERT INTO replays (job_id, replayed_at, actor, reason) VALUES (?1, ?2, ?3, ?4)") { s in
                s.bind(1, id); s.bind(2, now); s.bind(3, actor); s.bind(4, reason)
            }
            return .replayed
        }
    }
}
