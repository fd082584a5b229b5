import RelayCore
import RelayCrypto

/// Delivery (`JobDeliveryStore`): writes run through the single writer (short transactions, never
/// across network I/O); the timers read on the read-only connection.
extension SQLiteOutbox {
    public func addCommitObserver(_ observer: @escaping @Sendable () -> Void) {
        writer.addObserver(observer)
    }

    public func claim(limit: Int, lease: Duration, now: Int64) throws(OutboxError) -> [ClaimedJob] {
        guard limit > 0 else { return [] }
        let leaseMillis = lease.wholeMilliseconds
        // Not durable: a claim lost to a power cut leaves the job queued (sent later, or again).
        let rows = try writer.perform(durable: false) { ctx throws(SQLiteError) in
            try ctx.claim(limit: limit, leaseMillis: leaseMillis, now: now)
        }.get()
        var jobs: [ClaimedJob] = []
        jobs.reserveCapacity(rows.count)
        for row in rows {
            guard let sealed = row.payload, let kind = JobKind(rawValue: row.kind),
                let opened = Payload.open(sealed, jobID: row.id, key: keys)
            else {
                unreadable(row, now: now)
                continue
            }
            jobs.append(
                ClaimedJob(
                    id: row.id, kind: kind, channel: row.channel, recipient: opened.recipient,
                    recipientMasked: row.recipientMasked, secret: opened.secret,
                    attempts: row.attempts, routeStep: row.routeStep, createdAt: row.createdAt,
                    expiresAt: row.expiresAt, language: row.language, app: row.app,
                    token: row.token, leaseUntil: row.leaseUntil))
        }
        return jobs
    }

    /// A claimed job whose payload does not open (another data key, tampering): dead, never sent.
    private func unreadable(_ row: ClaimedRow, now: Int64) {
        logger.error("outbox payload unreadable", ["job_id": .string(row.id)])
        let report = AttemptReport(
            outcome: .permanent, provider: nil, startedAt: now, finishedAt: now,
            errorClass: "payload_unreadable",
            errorMessage: "the sealed payload does not open with the configured data keys")
        _ = try? finish(
            id: row.id, token: row.token, transition: .dead(reason: "payload unreadable"),
            attempt: report, now: now)
    }

    public func finish(
        id: String, token: Int64, transition: JobTransition, attempt: AttemptReport,
        now: Int64
    ) throws(OutboxError) -> FinishResult {
        let requeues: Bool
        switch transition {
        case .retry, .nextRoute, .accepted(fallbackAt: .some): requeues = true
        default: requeues = false
        }
        let result = try writer.perform(wakes: { requeues && $0 == .applied }) { ctx throws(SQLiteError) in
            try ctx.finish(id: id, token: token, transition: transition, attempt: attempt, now: now)
        }.get()
        if result == .leaseLost {
            logger.warning("outbox finish refused: lease lost", ["job_id": .string(id)])
        }
        return result
    }

    public func renewLease(id: String, token: Int64, lease: Duration, now: Int64) throws(OutboxError) -> Bool {
        let leaseMillis = lease.wholeMilliseconds
        return try writer.perform { ctx throws(SQLiteError) in
            try ctx.renewLease(id: id, token: token, leaseMillis: leaseMillis, now: now)
        }.get()
    }

    public func renewLeases(_ leases: [HeldLease], lease: Duration, now: Int64) throws(OutboxError) -> Set<String> {
        guard !leases.isEmpty else { return [] }
        let leaseMillis = lease.wholeMilliseconds
        // Not durable: after a power cut nobody holds these leases any more anyway.
        return try writer.perform(durable: false) { ctx throws(SQLiteError) in
            var held = Set<String>()
            for l in leases {
                if try ctx.renewLease(id: l.id, token: l.token, leaseMillis: leaseMillis, now: now) { held.insert(l.id) }
            }
            return held
        }.get()
    }

    public func releaseLeases(tokens: [Int64], now: Int64) throws(OutboxError) -> Int {
        guard !tokens.isEmpty else { return 0 }
        return try writer.perform(wakes: { $0 > 0 }) { ctx throws(SQLiteError) in
            try ctx.releaseLeases(tokens: tokens, now: now)
        }.get()
    }

    public func rescueExpiredLeases(now: Int64, maxAttempts: Int) throws(OutboxError) -> Int {
        let n = try writer.perform(wakes: { $0 > 0 }) { ctx throws(SQLiteError) in
            try ctx.rescueExpiredLeases(now: now, maxAttempts: maxAttempts)
        }.get()
        if n > 0 { logger.warning("outbox rescued expired leases", ["jobs": .int(Int64(n))]) }
        return n
    }

    public func expireDue(now: Int64) throws(OutboxError) -> Int {
        try writer.perform { ctx throws(SQLiteError) in try ctx.expireDue(now: now) }.get()
    }

    public func nextRunAt() throws(OutboxError) -> Int64? {
        try reader.read { db throws(SQLiteError) in
            try db.withStatement(DeliverySQL.nextRunAt) { s throws(SQLiteError) in try s.step() ? s.optionalInt64(0) : nil }
        }
    }

    public func nextLeaseExpiry() throws(OutboxError) -> Int64? {
        try reader.read { db throws(SQLiteError) in
            try db.withStatement(DeliverySQL.nextLeaseExpiry) { s throws(SQLiteError) in try s.step() ? s.optionalInt64(0) : nil }
        }
    }
}
