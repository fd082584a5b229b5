import Foundation
import RelayCore

/// Delivery (`JobDeliveryStore`) on pooled connections: each call one statement, committed before
/// it returns (never open across a provider call); finishes batch through the writer.
extension PostgreSQLOutbox {
    public func claim(limit: Int, lease: Duration, now: Int64) throws(OutboxError) -> [ClaimedJob] {
        guard limit > 0 else { return [] }
        let p = clockParam(now)
        // One round trip: the fallback sweep and the claim in one implicit transaction (pipeline).
        let r = try withConnection { c throws(PGError) in
            try c.pipeline([
                PGStatement(PGDeliverySQL.fallbackDue, [p]),
                PGStatement(PGDeliverySQL.claim, [p, String(limit), String(lease.wholeMilliseconds)]),
            ])[1]
        }
        var rows: [(job: ClaimedJob?, id: String, token: Int64, runAt: Int64)] = []
        for i in 0..<r.count {
            let id = r.string(i, 0), token = r.int64(i, 12)
            // Times back on the caller's clock: the worker compares expiry with it.
            let toLocal = now - r.int64(i, 13)
            guard let sealed = r.bytes(i, 4), let kind = JobKind(rawValue: r.string(i, 1)),
                let opened = Payload.open(sealed, jobID: id, key: keys)
            else {
                rows.append((nil, id, token, r.int64(i, 11)))
                continue
            }
            let job = ClaimedJob(
                id: id, kind: kind, channel: r.string(i, 2), recipient: opened.recipient, recipientMasked: r.string(i, 3),
                secret: opened.secret, attempts: r.int(i, 5), routeStep: r.int(i, 6), createdAt: r.int64(i, 7) + toLocal,
                expiresAt: r.int64(i, 8) + toLocal, language: r.optionalString(i, 9), app: r.optionalString(i, 10),
                token: token, leaseUntil: now + lease.wholeMilliseconds)
            rows.append((job, id, token, r.int64(i, 11)))
        }
        rows.sort { ($0.runAt, $0.id) < ($1.runAt, $1.id) }
        for row in rows where row.job == nil { unreadable(id: row.id, token: row.token, now: now) }
        return rows.compactMap(\.job)
    }

    /// A claimed job whose payload does not open (another data key, tampering): dead, never sent.
    private func unreadable(id: String, token: Int64, now: Int64) {
        logger.error("outbox payload unreadable", ["job_id": .string(id)])
        let report = AttemptReport(
            outcome: .permanent, provider: nil, startedAt: now, finishedAt: now, errorClass: "payload_unreadable",
            errorMessage: "the sealed payload does not open with the configured data keys")
        _ = try? finish(id: id, token: token, transition: .dead(reason: "payload unreadable"), attempt: report, now: now)
    }

    public func finish(
        id: String, token: Int64, transition: JobTransition, attempt: AttemptReport, now: Int64
    ) throws(OutboxError) -> FinishResult {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        finish(id: id, token: token, transition: transition, attempt: attempt, now: now) { r in
            box.set(r)
            done.signal()
        }
        done.wait()
        return try box.get().get()
    }

    public func renewLease(id: String, token: Int64, lease: Duration, now: Int64) throws(OutboxError) -> Bool {
        try renewLeases([HeldLease(id: id, token: token)], lease: lease, now: now).contains(id)
    }

    public func renewLeases(_ leases: [HeldLease], lease: Duration, now: Int64) throws(OutboxError) -> Set<String> {
        guard !leases.isEmpty else { return [] }
        let params = [
            clockParam(now), PG.array(leases.map(\.id)), PG.array(leases.map { String($0.token) }),
            String(lease.wholeMilliseconds),
        ]
        let r = try withConnection { c throws(PGError) in try c.exec(PGDeliverySQL.renewLeases, params) }
        return Set((0..<r.count).map { r.string($0, 0) })
    }

    public func releaseLeases(tokens: [Int64], now: Int64) throws(OutboxError) -> Int {
        guard !tokens.isEmpty else { return 0 }
        let params = [clockParam(now), PG.array(tokens.map { String($0) })]
        return try withConnection { c throws(PGError) in
            let n = try c.exec(PGDeliverySQL.releaseLeases, params).affected
            if n > 0 { notifyReady(c) }
            return n
        }
    }

    public func rescueExpiredLeases(now: Int64, maxAttempts: Int) throws(OutboxError) -> Int {
        let params = [clockParam(now), String(Int64(clamping: maxAttempts))]
        let n = try withConnection { c throws(PGError) in
            let n = try c.exec(PGDeliverySQL.rescue, params).affected
            if n > 0 { notifyReady(c) }
            return n
        }
        if n > 0 { logger.warning("outbox rescued expired leases", ["jobs": .int(Int64(n))]) }
        return n
    }

    public func expireDue(now: Int64) throws(OutboxError) -> Int {
        let p = clockParam(now)
        return try withConnection { c throws(PGError) in try c.exec(PGDeliverySQL.expire, [p]).affected }
    }

    public func nextRunAt() throws(OutboxError) -> Int64? { try nextTime(PGDeliverySQL.nextRunAt) }

    public func nextLeaseExpiry() throws(OutboxError) -> Int64? { try nextTime(PGDeliverySQL.nextLeaseExpiry) }

    /// A time the database holds, as an offset from its now, put on this node's clock.
    private func nextTime(_ sql: String) throws(OutboxError) -> Int64? {
        let now = clock.nowMillis()
        let p = clockParam(now)
        let r = try withConnection { c throws(PGError) in try c.exec(sql, [p]) }
        return r.count > 0 ? r.optionalInt64(0, 0).map { $0 + now } : nil
    }
}

/// The result of a finish handed from the finish queue to a waiting caller.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<FinishResult, OutboxError> = .failure(.unavailable("no result"))
    func set(_ v: Result<FinishResult, OutboxError>) { lock.withLock { value = v } }
    func get() -> Result<FinishResult, OutboxError> { lock.withLock { value } }
}
