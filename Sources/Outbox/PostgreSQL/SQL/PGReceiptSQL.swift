/// SQL of delivery receipts on PostgreSQL (the same moves as `ReceiptSQL`). `$1` is the clock
/// parameter (`PGSQL.now`); `$n` for the receipt's own time is its `receivedAt` on the caller's clock.
enum PGReceiptSQL {
    static let now = PGSQL.now

    /// The newest attempt of the provider that got the message id, with its job, locked: a repeat
    /// of the receipt reaching another node at once waits and then finds it seen.
    static let target = """
        SELECT a.job_id, a.attempt, a.route_step, j.status, j.channel, j.route_step, j.created_at, j.expires_at,
               j.payload IS NOT NULL
        FROM attempts a JOIN jobs j ON j.id = a.job_id
        WHERE a.provider_message_id = $1::text AND a.provider = $2::text
        ORDER BY a.attempt DESC LIMIT 1 FOR UPDATE OF j
        """

    static let seen = """
        SELECT 1 FROM receipts
        WHERE provider = $1::text AND provider_message_id = $2::text AND provider_status = $3::text AND error_code = $4::text
        """

    static let insert = """
        INSERT INTO receipts (job_id, attempt, provider, provider_message_id, kind, provider_status, error_code,
                              received_at, effect)
        VALUES ($1::text, $2::integer, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bigint, $9::text)
        ON CONFLICT DO NOTHING
        """

    /// `$2` id.
    static let delivered = """
        UPDATE jobs SET status = 'delivered', payload = NULL, lease_until = NULL, fallback_at = NULL,
                        delivered_at = \(now), last_error = NULL, updated_at = \(now)
        WHERE id = $2::text AND status <> 'delivered'
        """

    /// `$2` id, `$3` route_step, `$4` run_at and `$5` the receipt's time (caller's clock), `$6` last_error.
    static let nextRoute = """
        UPDATE jobs SET status = 'queued', route_step = $3::integer, run_at = \(now) + ($4::bigint - $5::bigint),
                        fallback_at = NULL, last_error = $6::text, updated_at = \(now)
        WHERE id = $2::text AND status = 'sent' AND payload IS NOT NULL
        """

    /// `$2` id, `$3` last_error.
    static let undelivered = """
        UPDATE jobs SET status = 'undelivered', payload = NULL, lease_until = NULL, fallback_at = NULL,
                        last_error = $3::text, updated_at = \(now)
        WHERE id = $2::text AND status IN ('sent', 'queued', 'dead')
        """

    static let list = """
        SELECT job_id, attempt, provider, provider_message_id, kind, provider_status, error_code, received_at, effect
        FROM receipts WHERE job_id = $1::text ORDER BY received_at, id
        """
}
