-- 0008_attempts_receipts_checks_without_lists: the same `attempts` and `receipts` tables with their
-- CHECK constraints written as comparisons instead of IN lists, as 0006 did for `jobs`: SQLite
-- builds a temporary index of an IN list of three or more values for every row it checks, and an
-- attempt row is written for every send (a receipt row for every status callback). Nothing else
-- changes: columns, order, STRICT, rowids, the unique constraints and indexes. The tables are
-- rebuilt (SQLite cannot change a CHECK in place); with legacy_alter_table the rename leaves the
-- views that read them as they are, and nothing refers to either table by a foreign key.

PRAGMA legacy_alter_table = ON;

CREATE TABLE attempts_new (
    id                  INTEGER PRIMARY KEY,
    job_id              TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt             INTEGER NOT NULL CHECK (attempt >= 1),
    route_step          INTEGER NOT NULL,
    channel             TEXT    NOT NULL,
    provider            TEXT,
    started_at          INTEGER NOT NULL,
    finished_at         INTEGER NOT NULL,
    outcome             TEXT    NOT NULL
                                CHECK (outcome = 'sent' OR outcome = 'retryable' OR outcome = 'permanent'
                                       OR outcome = 'next_route' OR outcome = 'expired'),
    http_status         INTEGER,
    smtp_status         INTEGER,
    provider_message_id TEXT,
    error_class         TEXT,
    error_message       TEXT,
    latency_ms          INTEGER NOT NULL CHECK (latency_ms >= 0),
    lease_token         INTEGER,
    UNIQUE (job_id, attempt)
) STRICT;

INSERT INTO attempts_new SELECT * FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_new RENAME TO attempts;

CREATE TABLE receipts_new (
    id                  INTEGER PRIMARY KEY,
    job_id              TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt             INTEGER NOT NULL,
    provider            TEXT    NOT NULL,
    provider_message_id TEXT    NOT NULL,
    kind                TEXT    NOT NULL
                                CHECK (kind = 'progress' OR kind = 'delivered' OR kind = 'failed' OR kind = 'timeout'),
    provider_status     TEXT    NOT NULL,
    error_code          TEXT    NOT NULL DEFAULT '',
    received_at         INTEGER NOT NULL,
    effect              TEXT    NOT NULL
                                CHECK (effect = 'none' OR effect = 'delivered' OR effect = 'next_route'
                                       OR effect = 'undelivered'),
    UNIQUE (provider, provider_message_id, provider_status, error_code)
) STRICT;

INSERT INTO receipts_new SELECT * FROM receipts;
DROP TABLE receipts;
ALTER TABLE receipts_new RENAME TO receipts;

PRAGMA legacy_alter_table = OFF;

CREATE INDEX attempts_finished ON attempts (finished_at, provider);
CREATE INDEX attempts_provider_message ON attempts (provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX receipts_job ON receipts (job_id, received_at);
CREATE INDEX receipts_received ON receipts (received_at, provider);
