-- 0005_delivery_receipts (PostgreSQL): delivery receipts, as migrations/0005_delivery_receipts.sql
-- for SQLite. Jobs gain the statuses `delivered` and `undelivered`, `delivered_at` and
-- `fallback_at` (when a `sent` job with no delivered receipt moves to the next rung); a `sent` job
-- may keep its sealed payload while a receipt can still trigger a resend.

DROP VIEW jobs_view;
DROP VIEW attempts_view;
DROP VIEW jobs_stats_minute;
DROP VIEW dead_letters;

ALTER TABLE jobs ADD COLUMN delivered_at bigint, ADD COLUMN fallback_at bigint;
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'dead', 'expired'));
ALTER TABLE jobs DROP CONSTRAINT jobs_check1;
ALTER TABLE jobs ADD CONSTRAINT jobs_payload_check
    CHECK (status NOT IN ('delivered', 'undelivered', 'expired') OR payload IS NULL);
ALTER TABLE jobs ADD CONSTRAINT jobs_fallback_check CHECK (fallback_at IS NULL OR status = 'sent');

-- Sent jobs still holding their payload (awaiting a receipt): erased at expiry.
CREATE INDEX jobs_awaiting ON jobs (expires_at) WHERE status = 'sent' AND payload IS NOT NULL;
-- Sent jobs to move to the next rung when no delivered receipt came in time.
CREATE INDEX jobs_fallback ON jobs (fallback_at) WHERE fallback_at IS NOT NULL;

-- Receipts find their attempt by the provider's message id (Twilio sid, Meta wamid).
CREATE INDEX attempts_provider_message ON attempts (provider_message_id) WHERE provider_message_id IS NOT NULL;

CREATE TABLE receipts (
    id                  bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id              text    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt             integer NOT NULL,
    provider            text    NOT NULL,
    provider_message_id text    NOT NULL,
    kind                text    NOT NULL CHECK (kind IN ('progress', 'delivered', 'failed', 'timeout')),
    provider_status     text    NOT NULL,
    error_code          text    NOT NULL DEFAULT '',
    received_at         bigint  NOT NULL,
    effect              text    NOT NULL CHECK (effect IN ('none', 'delivered', 'next_route', 'undelivered')),
    UNIQUE (provider, provider_message_id, provider_status, error_code)
);

CREATE INDEX receipts_job ON receipts (job_id, received_at);
CREATE INDEX receipts_received ON receipts (received_at, provider);

CREATE VIEW jobs_view AS
SELECT id, kind, channel, status, attempts, provider, last_error, created_at, updated_at, run_at,
       expires_at, sent_at, delivered_at, fallback_at, recipient_masked, route_step, language, app,
       (payload IS NOT NULL)::integer AS has_payload
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
       CAST(avg(CASE WHEN sent_at IS NOT NULL THEN sent_at - created_at END) AS bigint) AS avg_sent_latency_ms,
       max(CASE WHEN sent_at IS NOT NULL THEN sent_at - created_at END) AS max_sent_latency_ms,
       CAST(avg(CASE WHEN delivered_at IS NOT NULL THEN delivered_at - created_at END) AS bigint)
           AS avg_delivered_latency_ms
FROM jobs
GROUP BY 1, 2, 3, 4;

CREATE VIEW dead_letters AS
SELECT id, kind, channel, recipient_masked, attempts, provider, last_error, created_at, updated_at,
       expires_at, (payload IS NOT NULL)::integer AS replayable
FROM jobs
WHERE status = 'dead'
ORDER BY created_at DESC;

-- Receipts as dashboards read them: no recipient, no payload.
CREATE VIEW receipts_view AS
SELECT r.id, r.job_id, r.attempt, r.provider, r.provider_message_id, r.kind, r.provider_status,
       nullif(r.error_code, '') AS error_code, r.received_at, r.effect, j.channel, j.status AS job_status
FROM receipts r JOIN jobs j ON j.id = r.job_id;

-- Delivery ratio per minute of acceptance, channel and last provider.
CREATE VIEW delivery_ratio_minute AS
SELECT (created_at / 60000) * 60000 AS minute,
       channel,
       coalesce(provider, '-') AS provider,
       count(*) FILTER (WHERE status = 'delivered') AS delivered,
       count(*) FILTER (WHERE status = 'undelivered') AS undelivered,
       count(*) FILTER (WHERE status = 'sent') AS awaiting_or_unknown,
       CASE WHEN count(*) FILTER (WHERE status IN ('delivered', 'undelivered')) > 0
            THEN round(1.0 * count(*) FILTER (WHERE status = 'delivered')
                       / count(*) FILTER (WHERE status IN ('delivered', 'undelivered')), 4) END
           AS delivered_ratio,
       CAST(avg(CASE WHEN delivered_at IS NOT NULL THEN delivered_at - created_at END) AS bigint)
           AS avg_delivered_latency_ms
FROM jobs
WHERE kind = 'otp' AND status IN ('sent', 'delivered', 'undelivered')
GROUP BY 1, 2, 3;
