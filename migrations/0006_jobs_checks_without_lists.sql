-- 0006_jobs_checks_without_lists: the same `jobs` table with its CHECK constraints written as
-- comparisons instead of IN lists. SQLite evaluates a CHECK `x IN (a, b, c, …)` of three or more
-- values by building a temporary index of the list for every row written, which made almost half of
-- the webhook insert's cost (docs/benchmarks.md); `x = a OR x = b …` and `x <> a AND …` say the
-- same (also for NULL) and cost a few comparisons. Nothing else changes: columns, order, STRICT,
-- WITHOUT ROWID, the indexes. SQLite cannot change a CHECK in place, so the table is rebuilt;
-- with legacy_alter_table the rename leaves the views that read `jobs` as they are (they name the
-- table, which exists again after the rename), and the foreign keys of attempts, receipts and
-- replays name `jobs` too (checked by the migrator before the commit).

PRAGMA legacy_alter_table = ON;

CREATE TABLE jobs_new (
    id               TEXT    NOT NULL PRIMARY KEY CHECK (length(id) = 26),
    kind             TEXT    NOT NULL CHECK (kind = 'otp' OR kind = 'kyc'),
    channel          TEXT    NOT NULL
                             CHECK (channel = 'email' OR channel = 'sms' OR channel = 'whatsapp' OR channel = 'sqekyc'),
    status           TEXT    NOT NULL DEFAULT 'queued'
                             CHECK (status = 'queued' OR status = 'sending' OR status = 'sent' OR status = 'delivered'
                                    OR status = 'undelivered' OR status = 'dead' OR status = 'expired'),
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
    CHECK ((status <> 'delivered' AND status <> 'undelivered' AND status <> 'expired') OR payload IS NULL),
    CHECK (fallback_at IS NULL OR status = 'sent')
) STRICT, WITHOUT ROWID;

INSERT INTO jobs_new SELECT * FROM jobs;

DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;

PRAGMA legacy_alter_table = OFF;

CREATE INDEX jobs_claim ON jobs (status, run_at);
CREATE INDEX jobs_lease ON jobs (status, lease_until) WHERE status = 'sending';
CREATE INDEX jobs_expiry ON jobs (expires_at) WHERE status IN ('queued', 'dead');
CREATE INDEX jobs_created ON jobs (created_at, channel);
CREATE INDEX jobs_awaiting ON jobs (expires_at) WHERE status = 'sent' AND payload IS NOT NULL;
CREATE INDEX jobs_fallback ON jobs (fallback_at) WHERE fallback_at IS NOT NULL;
