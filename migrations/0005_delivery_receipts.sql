-- 0005_delivery_receipts: delivery receipts (Twilio status callbacks, Meta status webhooks).
-- Jobs gain the statuses `delivered` (a receipt said delivered or read) and `undelivered` (a
-- failure receipt with no rung left, or after the OTP's validity). A `sent` job may now keep its
-- sealed payload while a receipt can still trigger a resend (a provider with receipts); it is
-- erased at delivered, undelivered or expiry. `fallback_at`: when a `sent` job with no delivered
-- receipt moves to the next rung (`fallback_after_ms`). SQLite cannot change a CHECK in place,
-- so the table is rebuilt (the migrator runs migrations with foreign keys off and checks them
-- before each commit), and the views that read it are dropped and created again.

DROP VIEW jobs_view;
DROP VIEW attempts_view;
DROP VIEW jobs_stats_minute;
DROP VIEW dead_letters;

CREATE TABLE jobs_new (
    id               TEXT    NOT NULL PRIMARY KEY CHECK (length(id) = 26),
    kind             TEXT    NOT NULL CHECK (kind IN ('otp', 'kyc')),
    channel          TEXT    NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp', 'sqekyc')),
    status           TEXT    NOT NULL DEFAULT 'queued'
                             CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'dead',
                                               'expired')),
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
    delivered_at     INTEGER,
    fallback_at      INTEGER,
    CHECK (status <> 'sending' OR (lease_token IS NOT NULL AND lease_until IS NOT NULL)),
    CHECK (status NOT IN ('delivered', 'undelivered', 'expired') OR payload IS NULL),
    CHECK (fallback_at IS NULL OR status = 'sent')
) STRICT, WITHOUT ROWID;

INSERT INTO jobs_new (id, kind, channel, status, attempts, provider, last_error, created_at, updated_at, run_at,
                      expires_at, sent_at, recipient_masked, recipient_hash, dedupe_key, dedupe_until, payload,
                      lease_token, lease_until, route_step, language, app)
SELECT id, kind, channel, status, attempts, provider, last_error, created_at, updated_at, run_at,
       expires_at, sent_at, recipient_masked, recipient_hash, dedupe_key, dedupe_until, payload,
       lease_token, lease_until, route_step, language, app
FROM jobs;

DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;

CREATE INDEX jobs_claim ON jobs (status, run_at);
CREATE INDEX jobs_lease ON jobs (status, lease_until) WHERE status = 'sending';
CREATE INDEX jobs_expiry ON jobs (expires_at) WHERE status IN ('queued', 'dead');
CREATE INDEX jobs_created ON jobs (created_at, channel);
-- Sent jobs still holding their payload (awaiting a receipt): erased at expiry.
CREATE INDEX jobs_awaiting ON jobs (expires_at) WHERE status = 'sent' AND payload IS NOT NULL;
-- Sent jobs to move to the next rung when no delivered receipt came in time.
CREATE INDEX jobs_fallback ON jobs (fallback_at) WHERE fallback_at IS NOT NULL;

-- Receipts find their attempt by the provider's message id (Twilio sid, Meta wamid).
CREATE INDEX attempts_provider_message ON attempts (provider_message_id) WHERE provider_message_id IS NOT NULL;

-- One row per distinct receipt (a repeat of the same status and error for the same message is
-- not stored twice) and per fallback for want of one. `kind`: progress (queued, sent, …),
-- delivered (delivered, read), failed (failed, undelivered), timeout (no delivered receipt within
-- fallback_after_ms). `effect`: what it did to the job.
CREATE TABLE receipts (
    id                  INTEGER PRIMARY KEY,
    job_id              TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt             INTEGER NOT NULL,
    provider            TEXT    NOT NULL,
    provider_message_id TEXT    NOT NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('progress', 'delivered', 'failed', 'timeout')),
    provider_status     TEXT    NOT NULL,
    error_code          TEXT    NOT NULL DEFAULT '',
    received_at         INTEGER NOT NULL,
    effect              TEXT    NOT NULL CHECK (effect IN ('none', 'delivered', 'next_route', 'undelivered')),
    UNIQUE (provider, provider_message_id, provider_status, error_code)
) STRICT;

CREATE INDEX receipts_job ON receipts (job_id, received_at);
CREATE INDEX receipts_received ON receipts (received_at, provider);

CREATE VIEW jobs_view AS
SELECT id, kind, channel, status, attempts, provider, last_error, created_at, updated_at, run_at,
       expires_at, sent_at, delivered_at, fallback_at, recipient_masked, route_step, language, app,
       (payload IS NOT NULL) AS has_payload
FROM jobs;

CREATE VIEW attempts_view AS
SELECT a.id, a.job_id, a.attempt, a.route_step, a.channel, a.provider, a.started_at, a.finished_at,
       a.outcome, a.http_status, a.smtp_status, a.provider_message_id, a.error_class,
       a.error_message, a.latency_ms, j.kind, j.recipient_masked
FROM attempts a JOIN jobs j ON j.id = a.job_id;

CREATE VIEW jobs_stats_minute AS
SELECT (created_at / 60000) * 60000 AS minute,
       kind,
       channel,
       status,
       count(*) AS jobs,
       CAST(avg(CASE WHEN sent_at IS NOT NULL THEN sent_at - created_at END) AS INTEGER) AS avg_sent_latency_ms,
       max(CASE WHEN sent_at IS NOT NULL THEN sent_at - created_at END) AS max_sent_latency_ms,
       CAST(avg(CASE WHEN delivered_at IS NOT NULL THEN delivered_at - created_at END) AS INTEGER)
           AS avg_delivered_latency_ms
FROM jobs
GROUP BY 1, 2, 3, 4;

CREATE VIEW dead_letters AS
SELECT id, kind, channel, recipient_masked, attempts, provider, last_error, created_at, updated_at,
       expires_at, (payload IS NOT NULL) AS replayable
FROM jobs
WHERE status = 'dead'
ORDER BY created_at DESC;

-- Receipts as dashboards read them: no recipient, no payload.
CREATE VIEW receipts_view AS
SELECT r.id, r.job_id, r.attempt, r.provider, r.provider_message_id, r.kind, r.provider_status,
       nullif(r.error_code, '') AS error_code, r.received_at, r.effect, j.channel, j.status AS job_status
FROM receipts r JOIN jobs j ON j.id = r.job_id;

-- Delivery ratio per minute of acceptance, channel and last provider, over jobs whose provider
-- sends receipts or that ended delivered / undelivered: delivered / (delivered + undelivered).
CREATE VIEW delivery_ratio_minute AS
SELECT (created_at / 60000) * 60000 AS minute,
       channel,
       coalesce(provider, '-') AS provider,
       sum(status = 'delivered') AS delivered,
       sum(status = 'undelivered') AS undelivered,
       sum(status = 'sent') AS awaiting_or_unknown,
       CASE WHEN sum(status IN ('delivered', 'undelivered')) > 0
            THEN round(1.0 * sum(status = 'delivered') / sum(status IN ('delivered', 'undelivered')), 4) END
           AS delivered_ratio,
       CAST(avg(CASE WHEN delivered_at IS NOT NULL THEN delivered_at - created_at END) AS INTEGER)
           AS avg_delivered_latency_ms
FROM jobs
WHERE kind = 'otp' AND status IN ('sent', 'delivered', 'undelivered')
GROUP BY 1, 2, 3;
