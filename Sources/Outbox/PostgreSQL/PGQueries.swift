/// The queries of the PostgreSQL store on its pool (shared by `PostgreSQLOutbox` and
/// `PostgreSQLReadOnlyStore`): the same answers as `SQLiteQueries`. Nothing returned holds a
/// secret or a recipient.
struct PGQueries: StoreQueries {
    let pool: PGPool
    let options: PostgreSQLOptions

    func run(_ sql: String, _ params: [String?] = []) throws(OutboxError) -> PGResult {
        do {
            return try pool.with { c throws(PGError) in try c.exec(sql, params) }
        } catch {
            throw OutboxError.from(error)
        }
    }

    static func jobRecord(_ r: PGResult, _ i: Int) -> JobRecord {
        JobRecord(
            id: r.string(i, 0), kind: JobKind(rawValue: r.string(i, 1)) ?? .otp, channel: r.string(i, 2),
            status: JobStatus(rawValue: r.string(i, 3)) ?? .dead, attempts: r.int(i, 4),
            provider: r.optionalString(i, 5), lastError: r.optionalString(i, 6), createdAt: r.int64(i, 7),
            updatedAt: r.int64(i, 8), runAt: r.int64(i, 9), expiresAt: r.int64(i, 10), sentAt: r.optionalInt64(i, 11),
            recipientMasked: r.string(i, 12), routeStep: r.int(i, 13), leaseUntil: r.optionalInt64(i, 14),
            hasPayload: r.bool(i, 15), language: r.optionalString(i, 16), app: r.optionalString(i, 17))
    }

    static func attemptRecord(_ r: PGResult, _ i: Int) -> AttemptRecord {
        AttemptRecord(
            jobID: r.string(i, 0), attempt: r.int(i, 1), routeStep: r.int(i, 2), channel: r.string(i, 3),
            provider: r.optionalString(i, 4), startedAt: r.int64(i, 5), finishedAt: r.int64(i, 6),
            outcome: AttemptOutcome(rawValue: r.string(i, 7)) ?? .permanent, httpStatus: r.optionalInt(i, 8),
            smtpStatus: r.optionalInt(i, 9), providerMessageID: r.optionalString(i, 10),
            errorClass: r.optionalString(i, 11), errorMessage: r.optionalString(i, 12), latencyMillis: r.int64(i, 13))
    }

    func job(id: String) throws(OutboxError) -> JobRecord? {
        let r = try run(PGOperationsSQL.job, [id])
        return r.count > 0 ? Self.jobRecord(r, 0) : nil
    }

    func jobs(matching f: JobFilter) throws(OutboxError) -> [JobRecord] {
        guard f.limit > 0 else { return [] }
        let r = try run(
            PGOperationsSQL.list,
            [
                f.status?.rawValue, f.channel, f.kind?.rawValue, PG.int(f.createdFrom), PG.int(f.createdBefore), f.beforeID,
                PG.bytea(f.recipientHash), String(min(f.limit, options.maxListLimit)),
            ])
        return (0..<r.count).map { Self.jobRecord(r, $0) }
    }

    func attempts(jobID: String) throws(OutboxError) -> [AttemptRecord] {
        let r = try run(PGOperationsSQL.attempts, [jobID])
        return (0..<r.count).map { Self.attemptRecord(r, $0) }
    }

    func countsByStatus(channel: String?) throws(OutboxError) -> [JobStatus: Int] {
        let r = try run(PGOperationsSQL.countsByStatus, [channel])
        var out = Dictionary(uniqueKeysWithValues: JobStatus.allCases.map { ($0, 0) })
        for i in 0..<r.count { if let s = JobStatus(rawValue: r.string(i, 0)) { out[s] = r.int(i, 1) } }
        return out
    }

    func attemptSummary(since: Int64) throws(OutboxError) -> [AttemptSummary] {
        let r = try run(PGOperationsSQL.attemptLatencies, [String(since), String(options.maxStatisticsRows)])
        let rows = (0..<r.count).map { (r.string($0, 0), r.optionalString($0, 1), r.string($0, 2), r.int64($0, 3)) }
        return AttemptSummary.grouped(rows)
    }

    func recentFailures(limit: Int) throws(OutboxError) -> [AttemptRecord] {
        let r = try run(PGOperationsSQL.recentFailures, [String(min(max(limit, 0), options.maxListLimit))])
        return (0..<r.count).map { Self.attemptRecord(r, $0) }
    }

    func attemptCounts(since: Int64) throws(OutboxError) -> [AttemptCount] {
        let r = try run(PGOperationsSQL.attemptCounts, [String(since)])
        return (0..<r.count).compactMap { i in
            AttemptOutcome(rawValue: r.string(i, 2)).map {
                AttemptCount(channel: r.string(i, 0), provider: r.string(i, 1), outcome: $0, count: r.int(i, 3))
            }
        }
    }

    func deliveryLatency(since: Int64) throws(OutboxError) -> LatencySummary {
        let n = try run(PGOperationsSQL.sentCount, [String(since)]).int(0, 0)
        guard n > 0 else { return LatencySummary(count: 0, p50: nil, p90: nil, p99: nil, max: nil) }
        func at(_ q: Double) throws(OutboxError) -> Int64? {
            let r = try run(PGOperationsSQL.sentLatencyAt, [String(since), String(min(n - 1, Int(Double(n - 1) * q + 0.5)))])
            return r.count > 0 ? r.optionalInt64(0, 0) : nil
        }
        return LatencySummary(count: n, p50: try at(0.5), p90: try at(0.9), p99: try at(0.99), max: try at(1.0))
    }

    func oldestQueued() throws(OutboxError) -> [String: Int64] {
        let r = try run(PGOperationsSQL.oldestQueued)
        var out: [String: Int64] = [:]
        for i in 0..<r.count { out[r.string(i, 0)] = r.int64(i, 1) }
        return out
    }

    func receipts(jobID: String) throws(OutboxError) -> [ReceiptRecord] {
        let r = try run(PGReceiptSQL.list, [jobID])
        return (0..<r.count).map { i in
            let code = r.string(i, 6)
            return ReceiptRecord(
                jobID: r.string(i, 0), attempt: r.int(i, 1), provider: r.string(i, 2), providerMessageID: r.string(i, 3),
                kind: ReceiptKind(rawValue: r.string(i, 4)) ?? .progress, providerStatus: r.string(i, 5),
                errorCode: code.isEmpty ? nil : code, receivedAt: r.int64(i, 7), effect: r.string(i, 8))
        }
    }
}

/// The status page's chart aggregates (as `StatsSQL`'s, on PostgreSQL).
enum PGChartSQL {
    static let attemptsPerMinute = """
        SELECT (finished_at / 60000) * 60000 AS minute, outcome, count(*) FROM attempts
        WHERE finished_at >= $1::bigint GROUP BY 1, 2 ORDER BY 1, 2
        """
    static let sentLatencyHistogram = """
        SELECT \(LatencyHistogram.bucketSQL) AS b, count(*) FROM
        (SELECT sent_at - created_at AS l FROM jobs WHERE status IN ('sent', 'delivered', 'undelivered') AND sent_at >= $1::bigint) t
        GROUP BY b
        """
    static let deliveredLatencyHistogram = """
        SELECT \(LatencyHistogram.bucketSQL) AS b, count(*) FROM
        (SELECT delivered_at - created_at AS l FROM jobs WHERE status = 'delivered' AND delivered_at >= $1::bigint) t GROUP BY b
        """
}

extension PGQueries {
    func attemptsPerMinute(since: Int64) throws(OutboxError) -> [MinuteCount] {
        let r = try run(PGChartSQL.attemptsPerMinute, [String(since)])
        return (0..<r.count).compactMap { i in
            AttemptOutcome(rawValue: r.string(i, 1)).map { MinuteCount(minute: r.int64(i, 0), outcome: $0, count: r.int(i, 2)) }
        }
    }

    func sentLatencyHistogram(since: Int64) throws(OutboxError) -> LatencyHistogram {
        try latencyHistogram(PGChartSQL.sentLatencyHistogram, since: since)
    }

    func deliveredLatencyHistogram(since: Int64) throws(OutboxError) -> LatencyHistogram? {
        try latencyHistogram(PGChartSQL.deliveredLatencyHistogram, since: since)
    }

    private func latencyHistogram(_ sql: String, since: Int64) throws(OutboxError) -> LatencyHistogram {
        let r = try run(sql, [String(since)])
        var counts = Array(repeating: 0, count: LatencyHistogram.boundsMillis.count + 1)
        for i in 0..<r.count where counts.indices.contains(r.int(i, 0)) { counts[r.int(i, 0)] = r.int(i, 1) }
        return LatencyHistogram(counts: counts)
    }
}
