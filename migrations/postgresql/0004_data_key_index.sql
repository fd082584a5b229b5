-- 0004_data_key_index (PostgreSQL): the fingerprint of the index key, the data key the HMAC lookup
-- keys (dedupe_key, recipient_hash) are derived from. A node refuses a key ring whose index key differs.

CREATE TABLE data_key_index (
    id          integer NOT NULL PRIMARY KEY CHECK (id = 1),
    fingerprint text    NOT NULL CHECK (length(fingerprint) = 64),
    created_at  bigint  NOT NULL
);
