-- 0001_outbox (PostgreSQL): the job outbox shared by several otp-relay nodes. The same tables,
-- columns, states and views as the SQLite store (migrations/0001_outbox.sql), so the CLI, the admin
-- API, the status page, /metrics and dashboards read either. Times are epoch milliseconds (bigint)
-- on the database's clock (otp_relay_now_ms), so clock skew between nodes cannot steal or extend a
-- lease. Secrets live only in jobs.payload, sealed with AES-256-GCM (job id as associated data),
-- and are erased (NULL) once the job is sent or expires.

CREATE TABLE schema_migrations (
    version    integer PRIMARY KEY,
    name       text    NOT NULL,
    applied_at bigint  NOT NULL
);

-- The database's clock in epoch milliseconds: leases, run_at and expiry compare with it.
CREATE FUNCTION otp_relay_now_ms() RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT (extract(epoch FROM statement_timestamp()) * 1000)::bigint $$;

-- Fencing tokens: every claim takes a new one, from any node.
CREATE SEQUENCE lease_tokens AS bigint;

CREATE TABLE jobs (
    id               text    NOT NULL PRIMARY KEY CHECK (length(id) = 26),
    kind             text    NOT NULL CHECK (kind IN ('otp', 'kyc')),
    channel          text    NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp', 'sqekyc')),
    status           text    NOT NULL DEFAULT 'queued'
                             CHECK (status IN ('queued', 'sending', 'sent', 'dead', 'expired')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    provider         text,
    last_error       text,
    created_at       bigint  NOT NULL,
    updated_at       bigint  NOT NULL,
    run_at           bigint  NOT NULL,
    expires_at       bigint  NOT NULL,
    sent_at          bigint,
    recipient_masked text    NOT NULL,
    recipient_hash   bytea   NOT NULL,
    dedupe_key       bytea,
    dedupe_until     bigint,
    payload          bytea,
    lease_token      bigint,
    lease_until      bigint,
    route_step       integer NOT NULL DEFAULT 0 CHECK (route_step >= 0),
    language         text,
    app              text,
    CHECK (status <> 'sending' OR (lease_token IS NOT NULL AND lease_until IS NOT NULL)),
    CHECK (status NOT IN ('sent', 'expired') OR payload IS NULL)
);

-- Workers: queued jobs in run_at order (claims: FOR UPDATE SKIP LOCKED).
CREATE INDEX jobs_claim ON jobs (run_at, id) WHERE status = 'queued';
-- Rescuer: sending jobs whose lease has run out.
CREATE INDEX jobs_lease ON jobs (lease_until) WHERE status = 'sending';
-- Expiry: queued and dead jobs past their validity.
CREATE INDEX jobs_expiry ON jobs (expires_at) WHERE status IN ('queued', 'dead');
-- Dashboards, operators and retention: time windows per channel.
CREATE INDEX jobs_created ON jobs (created_at, channel);

-- Dedupe, authoritative across nodes: one row per key, owned by the first job inside its window
-- (a repeat posted to any node finds it; ON CONFLICT answers the first id). A row whose window
-- passed is taken over by the next job with that key. Swept by the node holding the sweep lock.
CREATE TABLE dedupe_keys (
    dedupe_key   bytea  NOT NULL PRIMARY KEY,
    job_id       text   NOT NULL REFERENCES jobs (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    created_at   bigint NOT NULL,
    dedupe_until bigint NOT NULL
);
CREATE INDEX dedupe_keys_until ON dedupe_keys (dedupe_until);
CREATE INDEX dedupe_keys_job ON dedupe_keys (job_id);

CREATE TABLE attempts (
    id                  bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id              text    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt             integer NOT NULL CHECK (attempt >= 1),
    route_step          integer NOT NULL,
    channel             text    NOT NULL,
    provider            text,
    started_at          bigint  NOT NULL,
    finished_at         bigint  NOT NULL,
    outcome             text    NOT NULL
                                CHECK (outcome IN ('sent', 'retryable', 'permanent', 'next_route', 'expired')),
    http_status         integer,
    smtp_status         integer,
    provider_message_id text,
    error_class         text,
    error_message       text,
    latency_ms          bigint  NOT NULL CHECK (latency_ms >= 0),
    lease_token         bigint,
    UNIQUE (job_id, attempt)
);

CREATE INDEX attempts_finished ON attempts (finished_at, provider);

-- Operator replays of dead jobs: who and why.
CREATE TABLE replays (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id      text   NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    replayed_at bigint NOT NULL,
    actor       text   NOT NULL,
    reason      text   NOT NULL
);

CREATE INDEX replays_job ON replays (job_id, replayed_at);

-- Dashboard views: no payload, no hashes; recipients masked. has_payload is 0/1 as in SQLite.
CREATE VIEW jobs_view AS
SELECT id, kind, channel, status, attempts, provider, last_error, created_at, updated_at, run_at,
       expires_at, sent_at, recipient_masked, route_step, language, app,
       (payload IS NOT NULL)::integer AS has_payload
FROM jobs;

CREATE VIEW attempts_view AS
SELECT a.id, a.job_id, a.attempt, a.route_step, a.channel, a.provider, a.started_at, a.finished_at,
       a.outcome, a.http_status, a.smtp_status, a.provider_message_id, a.error_class,
       a.error_message, a.latency_ms, j.kind, j.recipient_masked
FROM attempts a JOIN jobs j ON j.id = a.job_id;
