/// SQL of the PostgreSQL store's delivery: claims, finishes, leases, rescue, expiry, timers. `$1` is
/// always the caller's `now` in the caller-clock mode, or NULL for the database's clock
/// (`PGSQL.now`); every comparison of leases, `run_at` and expiry uses that one value.
enum PGDeliverySQL {
    static let now = PGSQL.now

    /// `$2` limit, `$3` lease in ms. One fencing token per claim (a CTE: evaluated once).
    static let claim = """
        WITH tok AS (SELECT nextval('lease_tokens') AS token),
        c AS (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= \(now) AND expires_at > \(now)
              ORDER BY run_at, id LIMIT $2::integer FOR UPDATE SKIP LOCKED)
        UPDATE jobs j SET status = 'sending', lease_token = tok.token, lease_until = \(now) + $3::bigint,
                          updated_at = \(now)
        FROM c, tok WHERE j.id = c.id
        RETURNING j.id, j.kind, j.channel, j.recipient_masked, j.payload, j.attempts, j.route_step, j.created_at,
                  j.expires_at, j.language, j.app, j.run_at, tok.token, \(now)
        """

    /// A finished try, only while the job holds the token (`$2` id, `$3` token): moves the job and
    /// records the attempt in one statement; no row back means the lease was lost.
    /// `$4` status, `$5` provider, `$6` last_error, `$7` run_at (caller's clock) or NULL, `$8` the
    /// caller's now, `$9` route_step or NULL, `$10` erase, `$11` sent, `$12` channel or NULL,
    /// `$13`…`$20` the attempt's fields, `$21` fallback_at (caller's clock) or NULL.
    static let finish = """
        WITH h AS (SELECT id, attempts, route_step, channel FROM jobs
                   WHERE id = $2::text AND status = 'sending' AND lease_token = $3::bigint FOR UPDATE),
        u AS (UPDATE jobs j SET status = $4::text, attempts = j.attempts + 1, provider = coalesce($5::text, j.provider),
                                last_error = $6::text, run_at = coalesce(\(now) + ($7::bigint - $8::bigint), j.run_at),
                                route_step = coalesce($9::integer, j.route_step),
                                payload = CASE WHEN $10::boolean THEN NULL ELSE j.payload END,
                                sent_at = CASE WHEN $11::boolean THEN \(now) ELSE j.sent_at END,
                                fallback_at = \(now) + ($21::bigint - $8::bigint),
                                lease_until = NULL, updated_at = \(now)
              FROM h WHERE j.id = h.id RETURNING h.attempts, h.route_step, h.channel)
        INSERT INTO attempts (job_id, attempt, route_step, channel, provider, started_at, finished_at, outcome,
                              http_status, smtp_status, provider_message_id, error_class, error_message,
                              latency_ms, lease_token)
        SELECT $2::text, u.attempts + 1, u.route_step, coalesce($12::text, u.channel), $5::text, $13::bigint, $14::bigint,
               $15::text, $16::integer, $17::integer, $18::text, $19::text, $20::text,
               greatest(0, $14::bigint - $13::bigint), $3::bigint
        FROM u RETURNING attempt
        """

    /// `$2` ids, `$3` tokens, `$4` lease in ms: the ids still held.
    static let renewLeases = """
        UPDATE jobs j SET lease_until = \(now) + $4::bigint, updated_at = \(now)
        FROM unnest($2::text[], $3::bigint[]) AS l(id, token)
        WHERE j.id = l.id AND j.status = 'sending' AND j.lease_token = l.token
        RETURNING j.id
        """

    /// `$2` tokens.
    static let releaseLeases = """
        UPDATE jobs SET status = 'queued', lease_until = NULL, updated_at = \(now)
        WHERE status = 'sending' AND lease_token = ANY($2::bigint[])
        """

    /// Expired leases back to `queued` (or `dead` at `$2` tries), each lost try recorded; skips
    /// rows another node is rescuing or finishing right now.
    static let rescue = """
        WITH r AS (SELECT id, lease_until FROM jobs WHERE status = 'sending' AND lease_until <= \(now)
                   FOR UPDATE SKIP LOCKED),
        u AS (UPDATE jobs j SET status = CASE WHEN j.attempts + 1 >= $2::bigint THEN 'dead' ELSE 'queued' END,
                                attempts = j.attempts + 1, last_error = 'lease expired', run_at = \(now),
                                lease_until = NULL, updated_at = \(now)
              FROM r WHERE j.id = r.id
              RETURNING j.id, j.attempts, j.route_step, j.channel, j.lease_token, least(r.lease_until, \(now)) AS started)
        INSERT INTO attempts (job_id, attempt, route_step, channel, provider, started_at, finished_at, outcome,
                              error_class, error_message, latency_ms, lease_token)
        SELECT u.id, u.attempts, u.route_step, u.channel, NULL, u.started, \(now), 'retryable', 'lease_expired',
               'the worker''s lease ran out before it finished', \(now) - u.started, u.lease_token
        FROM u
        """

    /// Queued and dead jobs past expiry, and dedupe keys past their window, by the one node that
    /// holds the sweep lock for this statement (the others get 0).
    static let expire = """
        WITH l AS (SELECT pg_try_advisory_xact_lock(\(PGSQL.sweepLock)) AS got),
        d AS (DELETE FROM dedupe_keys WHERE dedupe_until <= \(now) AND (SELECT got FROM l)),
        w AS (UPDATE jobs SET payload = NULL, fallback_at = NULL, updated_at = \(now)
              WHERE status = 'sent' AND payload IS NOT NULL AND expires_at <= \(now) AND (SELECT got FROM l)),
        e AS (SELECT id FROM jobs WHERE status IN ('queued', 'dead') AND expires_at <= \(now) AND (SELECT got FROM l)
              FOR UPDATE SKIP LOCKED)
        UPDATE jobs j SET status = 'expired', payload = NULL, lease_until = NULL, updated_at = \(now),
                          last_error = coalesce(j.last_error, 'expired')
        FROM e WHERE j.id = e.id
        """

    /// The earliest `run_at` and lease expiry, as offsets from the database's now (`$1`'s), so a
    /// node translates them to its own clock.
    static let nextRunAt = """
        SELECT min(t) - \(now) FROM (SELECT min(run_at) AS t FROM jobs WHERE status = 'queued'
                                     UNION ALL SELECT min(fallback_at) FROM jobs WHERE fallback_at IS NOT NULL) n
        """

    /// Sent jobs with no delivered receipt by their `fallback_at` go to the next rung (before each
    /// claim, so the same claim can take them), each with a `timeout` receipts row.
    static let fallbackDue = """
        WITH f AS (SELECT id FROM jobs WHERE fallback_at IS NOT NULL AND fallback_at <= \(now) AND status = 'sent'
                     AND payload IS NOT NULL AND expires_at > \(now) FOR UPDATE SKIP LOCKED),
        u AS (UPDATE jobs j SET status = 'queued', route_step = j.route_step + 1, run_at = j.fallback_at, fallback_at = NULL,
                                last_error = 'no delivered receipt in time', updated_at = \(now)
              FROM f WHERE j.id = f.id RETURNING j.id)
        INSERT INTO receipts (job_id, attempt, provider, provider_message_id, kind, provider_status, error_code,
                              received_at, effect)
        SELECT u.id, a.attempt, coalesce(a.provider, '-'), coalesce(a.provider_message_id, '-'), 'timeout',
               'no_delivered_receipt', '', \(now), 'next_route'
        FROM u JOIN LATERAL (SELECT attempt, provider, provider_message_id FROM attempts WHERE job_id = u.id
                             ORDER BY attempt DESC LIMIT 1) a ON true
        ON CONFLICT DO NOTHING
        """
    static let nextLeaseExpiry = "SELECT min(lease_until) - \(now) FROM jobs WHERE status = 'sending'"
}

/// What every PostgreSQL statement of the store shares.
enum PGSQL {
    /// Now in epoch ms: the caller's (`$1`, caller-clock mode) or the database's.
    static let now = "coalesce($1::bigint, otp_relay_now_ms())"
    /// `pg_try_advisory_xact_lock` key of sweeps and retention (one node at a time).
    static let sweepLock: Int64 = 0x6F74_7072_656C_01
    /// `pg_advisory_xact_lock` key of migrations and the data key check (nodes starting at once).
    static let schemaLock: Int64 = 0x6F74_7072_656C_02
    /// The channel of wake-ups: one NOTIFY per committed batch that made jobs ready.
    static let channel = "otp_relay_jobs"
    static let notify = "SELECT pg_notify('\(channel)', '')"
    static let databaseNow = "SELECT otp_relay_now_ms()"
}
