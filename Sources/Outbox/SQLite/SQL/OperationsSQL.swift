/// SQL of operator reads and writes: show, list, attempts, replay, retention.
enum OperationsSQL {
    /// The columns `SQLiteRows.jobRecord` reads, in its order.
    static let jobColumns = """
        id, kind, channel, status, attempts, provider, last_error, created_at, updated_at, run_at, expires_at,
        sent_at, recipient_masked, route_step, lease_until, payload IS NOT NULL, language, app
        """

    /// The columns `SQLiteRows.attemptRecord` reads, in its order.
    static let attemptColumns = """
        job_id, attempt, route_step, channel, provider, started_at, finished_at, outcome, http_status,
        smtp_status, provider_message_id, error_class, error_message, latency_ms
        """

    static let job = "SELECT \(jobColumns) FROM jobs WHERE id = :id"

    /// Newest first. NULL parameters do not filter, so one cached statement serves every filter.
    static let list = """
        SELECT \(jobColumns) FROM jobs
        WHERE (:status IS NULL OR status = :status) AND (:channel IS NULL OR channel = :channel)
          AND (:kind IS NULL OR kind = :kind)
          AND (:created_from IS NULL OR created_at >= :created_from)
          AND (:created_before IS NULL OR created_at < :created_before)
          AND (:before_id IS NULL OR id < :before_id)
          AND (:recipient_hash IS NULL OR recipient_hash = :recipient_hash)
        ORDER BY id DESC LIMIT :limit
        """

    static let attempts = "SELECT \(attemptColumns) FROM attempts WHERE job_id = :job_id ORDER BY attempt"

    static let replayCandidate = "SELECT status, expires_at, payload IS NOT NULL FROM jobs WHERE id = :id"

    static let replay = """
        UPDATE jobs SET status = 'queued', run_at = :now, route_step = 0, lease_until = NULL, updated_at = :now
        WHERE id = :id
        """

    static let recordReplay = """
        INSERT INTO replays (job_id, replayed_at, actor, reason) VALUES (:job_id, :now, :actor, :reason)
        """

    /// Retention: finished jobs (their attempts go by cascade), a bounded number per call.
    static let purge = """
        DELETE FROM jobs WHERE id IN (
            SELECT id FROM jobs INDEXED BY jobs_created
            WHERE created_at < :created_before AND status IN ('sent', 'delivered', 'undelivered', 'expired') LIMIT :limit)
        """
}
