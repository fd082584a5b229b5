/// SQL of delivery receipts: finding the attempt by provider message id, the job's move, the
/// event rows, and the fallback for want of a delivered receipt.
enum ReceiptSQL {
    /// The newest attempt of the provider that got the message id, with its job.
    static let target = """
        SELECT a.job_id, a.attempt, a.route_step, j.status, j.channel, j.route_step, j.created_at, j.expires_at,
               (j.payload IS NOT NULL)
        FROM attempts a INDEXED BY attempts_provider_message JOIN jobs j ON j.id = a.job_id
        WHERE a.provider_message_id = :message_id AND a.provider = :provider
        ORDER BY a.attempt DESC LIMIT 1
        """

    static let seen = """
        SELECT 1 FROM receipts
        WHERE provider = :provider AND provider_message_id = :message_id AND provider_status = :provider_status
          AND error_code = :error_code
        """

    static let insert = """
        INSERT INTO receipts (job_id, attempt, provider, provider_message_id, kind, provider_status, error_code,
                              received_at, effect)
        VALUES (:job_id, :attempt, :provider, :message_id, :kind, :provider_status, :error_code, :received_at, :effect)
        """

    static let delivered = """
        UPDATE jobs SET status = 'delivered', payload = NULL, lease_until = NULL, fallback_at = NULL,
                        delivered_at = :now, last_error = NULL, updated_at = :now
        WHERE id = :id AND status <> 'delivered'
        """

    static let nextRoute = """
        UPDATE jobs SET status = 'queued', route_step = :route_step, run_at = :run_at, fallback_at = NULL,
                        last_error = :last_error, updated_at = :now
        WHERE id = :id AND status = 'sent' AND payload IS NOT NULL
        """

    static let undelivered = """
        UPDATE jobs SET status = 'undelivered', payload = NULL, lease_until = NULL, fallback_at = NULL,
                        last_error = :last_error, updated_at = :now
        WHERE id = :id AND status IN ('sent', 'queued', 'dead')
        """

    /// Sent jobs with no delivered receipt by their `fallback_at`: the next rung, now. Returns what
    /// the event row needs (the last attempt's provider and message id).
    static let fallbackDue = """
        UPDATE jobs INDEXED BY jobs_fallback
        SET status = 'queued', route_step = route_step + 1, run_at = fallback_at, fallback_at = NULL,
            last_error = 'no delivered receipt in time', updated_at = :now
        WHERE fallback_at IS NOT NULL AND fallback_at <= :now AND status = 'sent' AND payload IS NOT NULL
          AND expires_at > :now
        RETURNING id, attempts
        """

    static let lastAttempt = """
        SELECT attempt, coalesce(provider, '-'), coalesce(provider_message_id, '-') FROM attempts
        WHERE job_id = :job_id ORDER BY attempt DESC LIMIT 1
        """

    /// Sent jobs past their validity still holding the payload: erased (no resend can come now).
    static let expireAwaiting = """
        UPDATE jobs INDEXED BY jobs_awaiting SET payload = NULL, fallback_at = NULL, updated_at = :now
        WHERE status = 'sent' AND payload IS NOT NULL AND expires_at <= :now
        """

    static let nextFallback = "SELECT min(fallback_at) FROM jobs WHERE fallback_at IS NOT NULL"

    static let list = """
        SELECT job_id, attempt, provider, provider_message_id, kind, provider_status, error_code, received_at, effect
        FROM receipts WHERE job_id = :job_id ORDER BY received_at, id
        """
}
