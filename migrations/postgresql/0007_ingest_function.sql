-- 0007_ingest_function (PostgreSQL): two changes that cut the writer's work per job.
-- 1. `dedupe_keys.job_id` loses its foreign key and its index: the key is inserted by the same
--    statement as its job, and the deferred check ran one lookup of `jobs` per new job at every
--    commit (~10 % of the writer's backend CPU), with one more index to update per job. Retention
--    deletes the keys of the jobs it deletes itself (`PGOperationsSQL.purge`), by key.
-- 2. The writer's enqueue statement (one batch of jobs and their
-- dedupe keys, `PGJobsSQL.enqueue`) as a PL/pgSQL function. A session then parses and plans the
-- statement once (PL/pgSQL keeps the plan, generic, for the session's life) instead of at every
-- batch: parse, analysis and planning were ~27 % of the writer's backend CPU. The caller still
-- sends one unnamed statement, so a PgBouncer in transaction mode serves it as before.
-- Arguments as `PGJobsSQL.enqueue`: `$1` ids, `$2` kinds, `$3` channels, `$4` created_at, `$5` run_at,
-- `$6` expires_at, `$7` masked recipients, `$8` recipient hashes, `$9` dedupe keys, `$10`
-- dedupe_until (NULL: the job claims no key), `$11` sealed payloads, `$12` languages, `$13` apps,
-- `$14` the writer's now (the database's clock: times move by the difference) or NULL. Rows back:
-- the repeats (the element's ordinal, the first job's id, its status).
-- The plan is generic (made once, whatever the batch), and made without sequential scans: a
-- session's first batch may find `jobs` empty or its statistics stale, and a plan made then would
-- scan the whole table for every repeat's status for the session's life; the repeats' lookups go by
-- the primary key instead.
ALTER TABLE dedupe_keys DROP CONSTRAINT dedupe_keys_job_id_fkey;
DROP INDEX dedupe_keys_job;

CREATE FUNCTION otp_relay_enqueue(text[], text[], text[], bigint[], bigint[], bigint[], text[], bytea[],
                                  bytea[], bigint[], bytea[], text[], text[], bigint)
RETURNS TABLE (n bigint, job_id text, status text) LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $fn$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH t AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[],
                                    $7::text[], $8::bytea[], $9::bytea[], $10::bigint[], $11::bytea[], $12::text[],
                                    $13::text[]) WITH ORDINALITY
               AS t(id, kind, channel, created_at, run_at, expires_at, recipient_masked, recipient_hash, dedupe_key,
                    dedupe_until, payload, language, app, n)),
    s AS (SELECT coalesce(otp_relay_now_ms() - $14::bigint, 0) AS shift),
    k AS (INSERT INTO dedupe_keys (dedupe_key, job_id, created_at, dedupe_until)
          SELECT t.dedupe_key, t.id, t.created_at + s.shift, t.dedupe_until + s.shift FROM t, s
          WHERE t.dedupe_until IS NOT NULL ORDER BY t.dedupe_key
          ON CONFLICT (dedupe_key) DO UPDATE SET
              job_id = CASE WHEN dedupe_keys.dedupe_until <= EXCLUDED.created_at THEN EXCLUDED.job_id
                            ELSE dedupe_keys.job_id END,
              created_at = CASE WHEN dedupe_keys.dedupe_until <= EXCLUDED.created_at THEN EXCLUDED.created_at
                                ELSE dedupe_keys.created_at END,
              dedupe_until = CASE WHEN dedupe_keys.dedupe_until <= EXCLUDED.created_at THEN EXCLUDED.dedupe_until
                                  ELSE dedupe_keys.dedupe_until END
          RETURNING dedupe_key, job_id),
    i AS (INSERT INTO jobs (id, kind, channel, status, attempts, created_at, updated_at, run_at, expires_at,
                            recipient_masked, recipient_hash, dedupe_key, dedupe_until, payload, route_step,
                            language, app)
          SELECT t.id, t.kind, t.channel, 'queued', 0, t.created_at + s.shift, t.created_at + s.shift,
                 t.run_at + s.shift, t.expires_at + s.shift, t.recipient_masked, t.recipient_hash, t.dedupe_key,
                 t.dedupe_until + s.shift, t.payload, 0, t.language, t.app
          FROM t, s WHERE t.dedupe_until IS NULL OR t.id IN (SELECT job_id FROM k))
    SELECT t.n, k.job_id, coalesce(j.status, 'queued')
    FROM t JOIN k ON k.dedupe_key = t.dedupe_key AND k.job_id <> t.id LEFT JOIN jobs j ON j.id = k.job_id;
END
$fn$;
