-- 0004_data_key_index: the fingerprint of the index key, the data key the HMAC lookup keys
-- (dedupe_key, recipient_hash) are derived from. A key rotation changes data_keys' 'current' row
-- and never this one; `serve` refuses a key ring whose index key differs.

CREATE TABLE data_key_index (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT    NOT NULL CHECK (length(fingerprint) = 64),
    created_at  INTEGER NOT NULL
) STRICT;
