/// SQL of the PostgreSQL store's ingest: one batch of jobs in one transaction, dedupe in the
/// database (`dedupe_keys`' primary key, `ON CONFLICT`), whichever node the repeat reaches.
enum PGJobsSQL {
    /// A batch's new jobs in ONE statement (`PGEnqueueBatch`), one row per array element: `$1` ids,
    /// `$2` kinds, `$3` channels, `$4` created_at, `$5` run_at, `$6` expires_at, `$7` masked
    /// recipients, `$8` recipient hashes, `$9` dedupe keys, `$10` dedupe_until (NULL: the job claims
    /// no key), `$11` sealed payloads, `$12` languages, `$13` apps, all on the writer's clock; `$14`
    /// the writer's now (the database's clock: times move by the difference) or NULL (they stay).
    ///
    /// Keys are claimed first, in key order (two nodes' batches cannot deadlock): a key nobody
    /// holds, or one whose window passed, becomes this job's; a key another node's open transaction
    /// holds waits for its commit. The update on conflict writes the held values back unchanged, so
    /// `RETURNING` names the key's owner either way, also one committed after this statement began.
    /// Jobs are inserted that claim no key or own theirs. The rows back are the repeats: the
    /// element's ordinal, the first job's id and its status (`queued` when that job committed after
    /// this statement's snapshot).
    ///
    /// The statement is the function `otp_relay_enqueue` (migration 0007), so each session plans it
    /// once rather than at every batch; edit it there (a new migration that replaces the function).
    static let enqueue = """
        SELECT n, job_id, status FROM otp_relay_enqueue($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
            $6::bigint[], $7::text[], $8::bytea[], $9::bytea[], $10::bigint[], $11::bytea[], $12::text[], $13::text[],
            $14::bigint)
        """

    /// The job holding dedupe key `$1` inside its window at `$2` (NULL: the database's clock), for
    /// a webhook the per-identifier limit refused (`PostgreSQLOutbox.findRepeat`).
    static let repeatOf = """
        SELECT d.job_id, j.status FROM dedupe_keys d JOIN jobs j ON j.id = d.job_id
        WHERE d.dedupe_key = $1::bytea AND d.dedupe_until > coalesce($2::bigint, otp_relay_now_ms())
        """
}

/// SQL of operator reads and writes, and of the aggregates (the same answers as `OperationsSQL`
/// and `StatsSQL` for SQLite).
enum PGOperationsSQL {
    static let jobColumns = """
        id, kind, channel, status, attempts, provider, last_error, created_at, updated_at, run_at, expires_at,
        sent_at, recipient_masked, route_step, lease_until, payload IS NOT NULL, language, app
        """
    static let attemptColumns = OperationsSQL.attemptColumns

    static let job = "SELECT \(jobColumns) FROM jobs WHERE id = $1::text"

    static let list = """
        SELECT \(jobColumns) FROM jobs
        WHERE ($1::text IS NULL OR status = $1::text) AND ($2::text IS NULL OR channel = $2::text)
          AND ($3::text IS NULL OR kind = $3::text)
          AND ($4::bigint IS NULL OR created_at >= $4::bigint)
          AND ($5::bigint IS NULL OR created_at < $5::bigint)
          AND ($6::text IS NULL OR id < $6::text)
          AND ($7::bytea IS NULL OR recipient_hash = $7::bytea)
        ORDER BY id DESC LIMIT $8::integer
        """

    static let attempts = "SELECT \(attemptColumns) FROM attempts WHERE job_id = $1::text ORDER BY attempt"

    /// One job (`$2`) replayed if it is dead, unexpired and holds its payload, recording who
    /// (`$3`) and why (`$4`); returns what the job was, and whether it was replayed.
    static let replay = """
        WITH c AS (SELECT id, status, expires_at > \(PGSQL.now) AS valid, payload IS NOT NULL AS has
                   FROM jobs WHERE id = $2::text FOR UPDATE),
        u AS (UPDATE jobs j SET status = 'queued', run_at = \(PGSQL.now), route_step = 0, lease_until = NULL,
                                updated_at = \(PGSQL.now)
              FROM c WHERE j.id = c.id AND c.status = 'dead' AND c.valid AND c.has RETURNING j.id),
        r AS (INSERT INTO replays (job_id, replayed_at, actor, reason) SELECT id, \(PGSQL.now), $3::text, $4::text FROM u)
        SELECT c.status, c.valid, c.has, (SELECT count(*) FROM u) FROM c
        """

    /// Retention by the node holding the sweep lock: `$1` created_before, `$2` limit. The jobs'
    /// dedupe keys still naming them go too (by key: `dedupe_keys` has no foreign key, migration
    /// 0007); attempts, replays and receipts by cascade. Returns the number of jobs deleted.
    static let purge = """
        WITH l AS (SELECT pg_try_advisory_xact_lock(\(PGSQL.sweepLock)) AS got),
        p AS (DELETE FROM jobs WHERE id IN (
                  SELECT id FROM jobs WHERE created_at < $1::bigint
                    AND status IN ('sent', 'delivered', 'undelivered', 'expired') AND (SELECT got FROM l)
                  LIMIT $2::integer FOR UPDATE SKIP LOCKED)
              RETURNING id, dedupe_key),
        k AS (DELETE FROM dedupe_keys d USING p WHERE d.dedupe_key = p.dedupe_key AND d.job_id = p.id)
        SELECT count(*) FROM p
        """

    static let countsByStatus = """
        SELECT status, count(*) FROM jobs WHERE ($1::text IS NULL OR channel = $1::text) GROUP BY status
        """

    static let attemptLatencies = """
        SELECT channel, provider, outcome, latency_ms FROM attempts
        WHERE finished_at >= $1::bigint ORDER BY finished_at DESC LIMIT $2::integer
        """

    static let recentFailures = """
        SELECT \(attemptColumns) FROM attempts WHERE outcome <> 'sent' ORDER BY id DESC LIMIT $1::integer
        """

    static let attemptCounts = """
        SELECT channel, coalesce(provider, '-'), outcome, count(*) FROM attempts
        WHERE finished_at >= $1::bigint GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        """

    static let sentCount = """
        SELECT count(*) FROM jobs WHERE status IN ('sent', 'delivered', 'undelivered') AND sent_at >= $1::bigint
        """

    static let sentLatencyAt = """
        SELECT sent_at - created_at AS l FROM jobs WHERE status IN ('sent', 'delivered', 'undelivered') AND sent_at >= $1::bigint
        ORDER BY l LIMIT 1 OFFSET $2::bigint
        """

    static let oldestQueued = "SELECT channel, min(created_at) FROM jobs WHERE status = 'queued' GROUP BY channel"
}

/// SQL of migrations and of the data key check.
enum PGSchemaSQL {
    static let lock = "SELECT pg_advisory_xact_lock(\(PGSQL.schemaLock))"
    static let migrationsTableExists = "SELECT to_regclass('schema_migrations') IS NOT NULL"
    static let recordMigration = "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1::integer, $2::text, $3::bigint)"

    static let recordKey = "INSERT INTO data_keys (fingerprint, role, created_at) VALUES ($1::text, 'current', $2::bigint)"
    static let replaceKey = "UPDATE data_keys SET fingerprint = $1::text, created_at = $2::bigint WHERE role = 'current'"
    static let recordIndexKey = "INSERT INTO data_key_index (id, fingerprint, created_at) VALUES (1, $1::text, $2::bigint)"
    static let payloadsByKeyID = """
        SELECT key_id, count(*), min(id) FROM (
            SELECT CASE WHEN substr(payload, 1, 4) = '\\x4f4b5201'::bytea AND length(payload) >= 40
                        THEN encode(substr(payload, 5, 8), 'hex') ELSE '' END AS key_id, id
            FROM jobs WHERE payload IS NOT NULL) p
        GROUP BY key_id
        """
    static let payload = "SELECT payload FROM jobs WHERE id = $1::text"
}
