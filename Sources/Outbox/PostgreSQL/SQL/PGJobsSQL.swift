/// SQL of the PostgreSQL store's ingest: one batch of jobs in one transaction, dedupe in the
/// database (`dedupe_keys`' primary key, `ON CONFLICT`), whichever node the repeat reaches.
enum PGJobsSQL {
    /// Claims the keys of a batch (`$1` keys, `$2` job ids, `$3` created_at, `$4` dedupe_until):
    /// a key nobody holds, or one whose window passed, becomes this job's; the rows back are the
    /// keys this batch now owns. A key another node's open transaction holds waits for its commit.
    static let claimKeys = """
        INSERT INTO dedupe_keys (dedupe_key, job_id, created_at, dedupe_until)
        SELECT * FROM unnest($1::bytea[], $2::text[], $3::bigint[], $4::bigint[])
        ON CONFLICT (dedupe_key) DO UPDATE SET job_id = EXCLUDED.job_id, created_at = EXCLUDED.created_at,
                                               dedupe_until = EXCLUDED.dedupe_until
            WHERE dedupe_keys.dedupe_until <= EXCLUDED.created_at
        RETURNING dedupe_key, job_id
        """

    /// The first jobs of keys this batch does not own, with their current status.
    static let firstJobs = """
        SELECT d.dedupe_key, d.job_id, j.status FROM dedupe_keys d JOIN jobs j ON j.id = d.job_id
        WHERE d.dedupe_key = ANY($1::bytea[])
        """

    /// The batch's new jobs, one row per array element.
    static let insert = """
        INSERT INTO jobs (id, kind, channel, status, attempts, created_at, updated_at, run_at, expires_at,
                          recipient_masked, recipient_hash, dedupe_key, dedupe_until, payload, route_step,
                          language, app)
        SELECT t.id, t.kind, t.channel, 'queued', 0, t.created_at, t.created_at, t.run_at, t.expires_at,
               t.recipient_masked, t.recipient_hash, t.dedupe_key, t.dedupe_until, t.payload, 0, t.language, t.app
        FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[],
                    $8::bytea[], $9::bytea[], $10::bigint[], $11::bytea[], $12::text[], $13::text[])
             AS t(id, kind, channel, created_at, run_at, expires_at, recipient_masked, recipient_hash,
                  dedupe_key, dedupe_until, payload, language, app)
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

    /// Retention by the node holding the sweep lock: `$1` created_before, `$2` limit.
    static let purge = """
        WITH l AS (SELECT pg_try_advisory_xact_lock(\(PGSQL.sweepLock)) AS got)
        DELETE FROM jobs WHERE id IN (
            SELECT id FROM jobs WHERE created_at < $1::bigint AND status IN ('sent', 'delivered', 'undelivered', 'expired')
              AND (SELECT got FROM l)
            LIMIT $2::integer FOR UPDATE SKIP LOCKED)
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
    static let appliedVersions = "SELECT version FROM schema_migrations ORDER BY version"
    static let recordMigration = "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1::integer, $2::text, $3::bigint)"

    static let currentKey = "SELECT fingerprint FROM data_keys WHERE role = 'current'"
    static let recordKey = "INSERT INTO data_keys (fingerprint, role, created_at) VALUES ($1::text, 'current', $2::bigint)"
    static let replaceKey = "UPDATE data_keys SET fingerprint = $1::text, created_at = $2::bigint WHERE role = 'current'"
    static let indexKey = "SELECT fingerprint FROM data_key_index WHERE id = 1"
    static let recordIndexKey = "INSERT INTO data_key_index (id, fingerprint, created_at) VALUES (1, $1::text, $2::bigint)"
    static let jobCount = "SELECT count(*) FROM jobs"
    static let payloadsByKeyID = """
        SELECT key_id, count(*), min(id) FROM (
            SELECT CASE WHEN substr(payload, 1, 4) = '\\x4f4b5201'::bytea AND length(payload) >= 40
                        THEN encode(substr(payload, 5, 8), 'hex') ELSE '' END AS key_id, id
            FROM jobs WHERE payload IS NOT NULL) p
        GROUP BY key_id
        """
    static let payload = "SELECT payload FROM jobs WHERE id = $1::text"
}
