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

    /// A batch's finished tries in ONE statement (`PGFinishBatch`; distinct job ids), each applied
    /// only while its job holds the token: moves the jobs and records the attempts. Locks are taken
    /// in id order, as `renewLeases` takes them, so the two cannot deadlock; `id = ANY($1)` keeps
    /// the lookup on the primary key whatever the table's statistics say. One element per try:
    /// `$1` id, `$2` token, `$3` status, `$4` provider, `$5` last_error, `$6` run_at or NULL, `$7` the
    /// caller's now, `$8` route_step or NULL, `$9` erase, `$10` sent, `$11` channel or NULL,
    /// `$12`…`$19` the attempt's fields, `$20` fallback_at or NULL, all on the caller's clock; `$21`
    /// true for the database's clock (times move to its now), false to keep the caller's. The rows
    /// back are the ids whose lease was lost (no longer `sending` under that token).
    static let finish = """
        WITH f AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                                        $7::bigint[], $8::integer[], $9::boolean[], $10::boolean[], $11::text[],
                                        $12::bigint[], $13::bigint[], $14::text[], $15::integer[], $16::integer[],
                                        $17::text[], $18::text[], $19::text[], $20::bigint[])
                   AS f(id, token, status, provider, last_error, run_at, now, step, erase, sent, channel, started,
                        finished, outcome, http, smtp, message_id, error_class, error_message, fallback_at)),
        h AS (SELECT j.id, j.attempts, j.route_step, j.channel FROM jobs j JOIN f ON j.id = f.id AND j.lease_token = f.token
              WHERE j.id = ANY($1::text[]) AND j.status = 'sending' ORDER BY j.id FOR UPDATE OF j),
        c AS (SELECT CASE WHEN $21::boolean THEN otp_relay_now_ms() END AS db),
        u AS (UPDATE jobs j SET status = f.status, attempts = j.attempts + 1, provider = coalesce(f.provider, j.provider),
                                last_error = f.last_error, run_at = coalesce(coalesce(c.db, f.now) + (f.run_at - f.now), j.run_at),
                                route_step = coalesce(f.step, j.route_step),
                                payload = CASE WHEN f.erase THEN NULL ELSE j.payload END,
                                sent_at = CASE WHEN f.sent THEN coalesce(c.db, f.now) ELSE j.sent_at END,
                                fallback_at = coalesce(c.db, f.now) + (f.fallback_at - f.now),
                                lease_until = NULL, updated_at = coalesce(c.db, f.now)
              FROM h JOIN f ON f.id = h.id, c WHERE j.id = h.id RETURNING j.id, h.attempts, h.route_step, h.channel),
        a AS (INSERT INTO attempts (job_id, attempt, route_step, channel, provider, started_at, finished_at, outcome,
                                    http_status, smtp_status, provider_message_id, error_class, error_message,
                                    latency_ms, lease_token)
              SELECT u.id, u.attempts + 1, u.route_step, coalesce(f.channel, u.channel), f.provider, f.started, f.finished,
                     f.outcome, f.http, f.smtp, f.message_id, f.error_class, f.error_message,
                     greatest(0, f.finished - f.started), f.token
              FROM u JOIN f ON f.id = u.id)
        SELECT f.id FROM f WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.id = f.id)
        """

    /// `$2` ids, `$3` tokens, `$4` lease in ms: the ids still held. Rows are locked in id order
    /// (as `finish` locks them), then extended.
    static let renewLeases = """
        WITH l AS (SELECT j.id FROM jobs j JOIN unnest($2::text[], $3::bigint[]) AS l(id, token)
                   ON j.id = l.id AND j.lease_token = l.token
                   WHERE j.id = ANY($2::text[]) AND j.status = 'sending' ORDER BY j.id FOR UPDATE OF j)
        UPDATE jobs j SET lease_until = \(now) + $4::bigint, updated_at = \(now)
        FROM l WHERE j.id = l.id
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
