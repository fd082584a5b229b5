-- 0002_dashboard_views (PostgreSQL): what dashboards read, as in SQLite. No payload, no hashes,
-- recipients masked.

-- Delivery tries per minute, channel, provider and outcome, with provider-call latency.
CREATE VIEW delivery_stats_minute AS
SELECT (finished_at / 60000) * 60000 AS minute,
       channel,
       coalesce(provider, '-') AS provider,
       outcome,
       count(*) AS attempts,
       CAST(avg(latency_ms) AS bigint) AS avg_latency_ms,
       max(latency_ms) AS max_latency_ms
FROM attempts
GROUP BY 1, 2, 3, 4;

-- Jobs per minute of acceptance, channel and current status, with accept-to-sent latency.
CREATE VIEW jobs_stats_minute AS
SELECT (created_at / 60000) * 60000 AS minute,
       kind,
       channel,
       status,
       count(*) AS jobs,
       CAST(avg(CASE WHEN sent_at IS NOT NULL THEN sent_at - created_at END) AS bigint) AS avg_sent_latency_ms,
       max(CASE WHEN sent_at IS NOT NULL THEN sent_at - created_at END) AS max_sent_latency_ms
FROM jobs
GROUP BY 1, 2, 3, 4;

-- Dead letters: jobs given up on, newest first, with what to act on.
CREATE VIEW dead_letters AS
SELECT id, kind, channel, recipient_masked, attempts, provider, last_error, created_at, updated_at,
       expires_at, (payload IS NOT NULL)::integer AS replayable
FROM jobs
WHERE status = 'dead'
ORDER BY created_at DESC;
