/// Operator and timer reads, on the read-only connection (never behind the writer's batches).
extension SQLiteOutbox {
    static let jobColumns = """
        id, kind, channel, status, attempts, provider, last_error, created_at, updated_at, run_at, expires_at,
        sent_at, recipient_masked, route_step, lease_until, payload IS NOT NULL, language, app
        """

    static func jobRecord(_ s: SQLiteStatement) -> JobRecord {
        JobRecord(
            id: s.string(0), kind: JobKind(rawValue: s.string(1)) ?? .otp, channel: s.string(2),
            status: JobStatus(rawValue: s.string(3)) ?? .dead, attempts: s.int(4),
            provider: s.optionalString(5), lastError: s.optionalString(6), createdAt: s.int64(7),
            updatedAt: s.int64(8), runAt: s.int64(9), expiresAt: s.int64(10), sentAt: s.optionalInt64(11),
            recipientMasked: s.string(12), routeStep: s.int(13), leaseUntil: s.optionalInt64(14),
            hasPayload: s.int(15) != 0, language: s.optionalString(16), app: s.optionalString(17))
    }

    static func attemptRecord(_ s: SQLiteStatement) -> AttemptRecord {
        AttemptRecord(
            jobID: s.string(0), attempt: s.int(1), routeStep: s.int(2), channel: s.string(3),
            provider: s.optionalString(4), startedAt: s.int64(5), finishedAt: s.int64(6),
            outcome: AttemptOutcome(rawValue: s.string(7)) ?? .permanent, httpStatus: s.optionalInt(8),
            smtpStatus: s.optionalInt(9), providerMessageID: s.optionalString(10),
            errorClass: s.optionalString(11), errorMessage: s.optionalString(12), latencyMillis: s.int64(13))
    }

    public func job(id: String) throws(OutboxError) -> JobRecord? {
        try reader.read { db throws(SQLiteError) in
            try db.withStatement("SELECT \(SQLiteOutbox.jobColumns) FROM jobs WHERE id = ?1") { s throws(SQLiteError) in
                s.bind(1, id)
                return try s.step() ? SQLiteOutbox.jobRecord(s) : nil
            }
        }
    }

    /// Newest first. Null parameters do not filter, so one cached statement serves every filter.
    static let listSQL = """
        SELECT \(jobColumns) FROM jobs
        WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR channel = ?2) AND (?3 IS NULL OR kind = ?3)
          AND (?4 IS NULL OR created_at >= ?4) AND (?5 IS NULL OR created_at < ?5) AND (?6 IS NULL OR id < ?6)
          AND (?8 IS NULL OR recipient_hash = ?8)
        ORDER BY id DESC LIMIT ?7
        """

    public func jobs(matching f: JobFilter) throws(OutboxError) -> [JobRecord] {
        guard f.limit > 0 else { return [] }
        let limit = min(f.limit, options.maxListLimit)
        return try reader.read { db throws(SQLiteError) in
            try db.withStatement(SQLiteOutbox.listSQL) { s throws(SQLiteError) in
                s.bind(1, f.status?.rawValue); s.bind(2, f.channel); s.bind(3, f.kind?.rawValue)
                s.bind(4, f.createdFrom); s.bind(5, f.createdBefore); s.bind(6, f.beforeID); s.bind(7, limit)
                s.bind(8, f.recipientHash)
                var out: [JobRecord] = []
                while try s.step() { out.append(SQLiteOutbox.jobRecord(s)) }
                return out
            }
        }
    }

    public func attempts(jobID: String) throws(OutboxError) -> [AttemptRecord] {
        try reader.read { db throws(SQLiteError) in
            try db.withStatement(
                """
                SELECT job_id, attempt, route_step, channel, provider, started_at, finished_at, outcome, http_status,
                       smtp_status, provider_message_id, error_class, error_message, latency_ms
                FROM attempts WHERE job_id = ?1 ORDER BY attempt
                """
            ) { s throws(SQLiteError) in
                s.bind(1, jobID)
                var out: [AttemptRecord] = []
                while try s.step() { out.append(SQLiteOutbox.attemptRecord(s)) }
                return out
            }
        }
    }

    public func countsByStatus(channel: String? = nil) throws(OutboxError) -> [JobStatus: Int] {
        try reader.read { db throws(SQLiteError) in
            try db.withStatement(
                """
                SELECT status, count(*) FROM jobs WHERE (?1 IS NULL OR channel = ?1) GROUP BY status
                """
            ) { s throws(SQLiteError) in
                s.bind(1, channel)
                var out = Dictionary(uniqueKeysWithValues: JobStatus.allCases.map { ($0, 0) })
                while try s.step() {
                    if let st = JobStatus(rawValue: s.string(0)) { out[st] = s.int(1) }
                }
                return out
            }
        }
    }

    public func nextRunAt() throws(OutboxError) -> Int64? {
        try reader.read { db throws(SQLiteError) in
            try db.withStatement("SELECT min(run_at) FROM jobs WHERE status = 'queued'") { s throws(SQLiteError) in
                try s.step() ? s.optionalInt64(0) : nil
            }
        }
    }

    public func nextLeaseExpiry() throws(OutboxError) -> Int64? {
        try reader.read { db throws(SQLiteError) in
            try db.withStatement("SELECT min(lease_until) FROM jobs WHERE status = 'sending'") { s throws(SQLiteError) in
                try s.step() ? s.optionalInt64(0) : nil
            }
        }
    }
}
