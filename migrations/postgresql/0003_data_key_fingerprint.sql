-- 0003_data_key_fingerprint (PostgreSQL): which data key this database's payloads are sealed with,
-- as a fingerprint (HMAC-SHA256 of a fixed label under the key, hex; never the key). A node refuses
-- to start with a key whose fingerprint differs.

CREATE TABLE data_keys (
    fingerprint text   NOT NULL PRIMARY KEY CHECK (length(fingerprint) = 64),
    role        text   NOT NULL CHECK (role IN ('current')),
    created_at  bigint NOT NULL
);
