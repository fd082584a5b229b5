-- 0001_outbox: the job outbox. Times are epoch milliseconds (INTEGER). Secrets live only in
-- jobs.payload, sealed with AES-256-GCM (job id as associated data), and are erased (NULL) once the
-- job is sent or expires. Dashboards read the jobs_view and attempts_view views.

CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT;

CREATE TABLE jobs (
    id               TEXT    NOT NULL PRIMARY KEY CHECK (length(id) = 26),
    kind             TEXT    NOT NULL CHECK (kind IN ('otp', 'kyc')),
    channel          TEXT    NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp', 'sqekyc')),
    status           TEXT    NOT NULL DEFAULT 'queued'
                             CHECK (status IN ('queued', 'sending', 'sent', 'dead', 'expired')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    provider         TEXT,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    run_at           INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    recipient_masked TEXT    NOT NULL,
    recipient_hash   BLOB    NOT NULL,
    dedupe_key       BLOB,
    dedupe_until     INTEGER,
    payload          BLOB,
    lease_token      INTEGER,
    lease_until      INTEGER,
    route_step       INTEGER NOT NULL DEFAULT 0 CHECK (route_step >= 0),
    language         TEXT,
    app              TEXT,
    CHECK (status <> 'sending' OR (lease_token IS NOT NULL AND lease_until IS NOT NULL)),
    CHECK (status NOT IN ('sent', 'expired') OR payload IS NULL)
) STRICT, WITHOUT ROWID;

-- Workers: queued jobs in run_at order.
CREATE INDEX jobs_claim ON jobs (status, run_at);
-- Webhook repeats: the writer keeps recent dedupe keys in memory (rebuilt at start-up from rows
-- with created_at in the window, through jobs_created). An index on random HMAC keys would cost
-- a random page write per job, more than half of the store's work per enqueue.
-- Rescuer: sending jobs whose lease has run out.
CREATE INDEX jobs_lease ON jobs (status, lease_until) WHERE status = 'sending';
-- Expiry: queued and dead jobs past their validity.
CREATE INDEX jobs_expiry ON jobs (expires_at) WHERE status IN ('queued', 'dead');
-- Dashboards and operators: time windows per channel. (No index on recipient_hash: its random
-- keys would cost a page write per job; look a recipient up within a created_at window instead.)
CREATE INDEX jobs_created ON jobs (created_at, channel);

CREATE TABLE attempts (
    id                  INTEGER PRIMARY KEY,
    job_id              TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt             INTEGER NOT NULL CHECK (attempt >= 1),
    route_step          INTEGER NOT NULL,
    channel             TEXT    NOT NULL,
    provider            TEXT,
    started_at          INTEGER NOT NULL,
    finished_at         INTEGER NOT NULL,
    outcome             TEXT    NOT NULL
                                CHECK (outcome IN ('sent', 'retryable', 'permanent', 'next_route', 'expired')),
    http_status         INTEGER,
    smtp_status         INTEGER,
    provider_message_id TEXT,
    error_class         TEXT,
    error_message       TEXT,
    latency_ms          INTEGER NOT NULL CHECK (latency_ms >= 0),
    lease_token         INTEGER,
    UNIQUE (job_id, attempt)
) STRICT;

CREATE INDEX attempts_finished ON attempts (finished_at, provider);

-- Operator replays of dead jobs: who and why.
CREATE TABLE replays (
    id          INTEGER PRIMARY KEY,
    job_id      TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    replayed_at INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    reason      TEXT    NOT NULL
) STRICT;

CREATE INDEX replays_job ON replays (job_id, replayed_at);

-- Dashboard views: no payload, no hashes; recipients masked.
CREATE VIEW jobs_view AS
SELECT id, kind, channel, status, attempts, provider, last_error, created_at, updated_at, run_at,
       expires_at, sent_at, recipient_masked, route_step, language, app,
       (payload IS NOT NULL) AS has_payload
FROM jobs;

CREATE VIEW attempts_view AS
SELECT a.id, a.job_id, a.attempt, a.route_step, a.channel, a.provider, a.started_at, a.finished_at,
       a.outcome, a.http_status, a.smtp_status, a.provider_message_id, a.error_class,
       a.error_message, a.latency_ms, j.kind, j.recipient_masked
FROM attempts a JOIN jobs j ON j.id = a.job_id;
