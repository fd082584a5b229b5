/// SQL of delivery: claims, finishes, leases, expiry, and the workers' timers.
enum DeliverySQL {
    /// `INDEXED BY jobs_expiry`: without statistics the planner picks `jobs_claim (status=?)` and
    /// reads every queued row on each claim (the whole backlog, per claim, while draining).
    static let expire = """
        UPDATE jobs INDEXED BY jobs_expiry SET status = 'expired', payload = NULL, lease_until = NULL, updated_at = :now,
                        last_error = coalesce(last_error, 'expired')
        WHERE status IN ('queued', 'dead') AND expires_at <= :now
        """

    static let claim = """
        UPDATE jobs SET status = 'sending', lease_token = :token, lease_until = :lease_until, updated_at = :now
        WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_claim
                     WHERE status = 'queued' AND run_at <= :now AND expires_at > :now
                     ORDER BY run_at, id LIMIT :limit)
        RETURNING id, kind, channel, recipient_masked, payload, attempts, route_step, created_at,
                  expires_at, language, app, run_at
        """

    /// A finished try's attempts row, written only while the job is still leased under the token
    /// (fencing: no row, no change, when the lease was lost); its number, step and channel come
    /// from the job as it was before the try's transition. One statement for the check and the
    /// row.
    static let insertFencedAttempt = """
        INSERT INTO attempts (job_id, attempt, route_step, channel, provider, started_at, finished_at, outcome,
                              http_status, smtp_status, provider_message_id, error_class, error_message,
                              latency_ms, lease_token)
        SELECT id, attempts + 1, route_step, coalesce(:channel, channel), :provider, :started_at, :finished_at, :outcome,
               :http_status, :smtp_status, :provider_message_id, :error_class, :error_message, :latency_ms, :token
        FROM jobs WHERE id = :id AND status = 'sending' AND lease_token = :token
        """

    /// Undoes `insertFencedAttempt` when the transition after it failed (the job unchanged).
    static let deleteUnfinishedAttempt = """
        DELETE FROM attempts WHERE job_id = :id AND attempt = (SELECT attempts + 1 FROM jobs WHERE id = :id)
        """

    /// A finished try: NULL parameters keep the column (`coalesce`), `:erase` drops the payload.
    static let transition = """
        UPDATE jobs SET status = :status, attempts = attempts + 1, provider = coalesce(:provider, provider),
                        last_error = :last_error, run_at = coalesce(:run_at, run_at),
                        route_step = coalesce(:route_step, route_step),
                        payload = CASE WHEN :erase THEN NULL ELSE payload END, sent_at = coalesce(:sent_at, sent_at),
                        fallback_at = :fallback_at, lease_until = NULL, updated_at = :now
        WHERE id = :id
        """

    static let insertAttempt = """
        INSERT INTO attempts (job_id, attempt, route_step, channel, provider, started_at, finished_at, outcome,
                              http_status, smtp_status, provider_message_id, error_class, error_message,
                              latency_ms, lease_token)
        VALUES (:job_id, :attempt, :route_step, :channel, :provider, :started_at, :finished_at, :outcome,
                :http_status, :smtp_status, :provider_message_id, :error_class, :error_message,
                :latency_ms, :token)
        """

    static let renewLease = """
        UPDATE jobs SET lease_until = :lease_until, updated_at = :now
        WHERE id = :id AND status = 'sending' AND lease_token = :token
        """

    static let releaseLease = """
        UPDATE jobs SET status = 'queued', lease_until = NULL, updated_at = :now
        WHERE status = 'sending' AND lease_token = :token
        """

    static let expiredLeases = """
        SELECT id, attempts, route_step, channel, lease_token, lease_until FROM jobs INDEXED BY jobs_lease
        WHERE status = 'sending' AND lease_until <= :now
        """

    /// Every lease at start-up of the owner (`StoreAccess.owner`): the lock proves the process
    /// that held them is gone.
    static let orphanedLeases = """
        SELECT id, attempts, route_step, channel, lease_token, lease_until FROM jobs INDEXED BY jobs_lease
        WHERE status = 'sending'
        """

    /// A rescued job: back to `queued`, the lost try counted; `dead` once its tries reach `:max_attempts`.
    static let requeueRescued = """
        UPDATE jobs SET status = CASE WHEN attempts + 1 >= :max_attempts THEN 'dead' ELSE 'queued' END,
                        attempts = attempts + 1, last_error = :last_error,
                        run_at = :now, lease_until = NULL, updated_at = :now
        WHERE id = :id
        """

    /// The earliest queued `run_at`, or a sent job's `fallback_at` (moved to the next rung then).
    static let nextRunAt = """
        SELECT min(t) FROM (SELECT min(run_at) AS t FROM jobs WHERE status = 'queued'
                            UNION ALL SELECT min(fallback_at) FROM jobs WHERE fallback_at IS NOT NULL)
        """
    static let nextLeaseExpiry = "SELECT min(lease_until) FROM jobs WHERE status = 'sending'"
}
