-- 0003_data_key_fingerprint: which data key this database's payloads are sealed with, as a
-- fingerprint (HMAC-SHA256 of a fixed label under the key, hex; never the key). `serve` refuses to
-- start with a key whose fingerprint differs, instead of turning every queued job dead.

CREATE TABLE data_keys (
    fingerprint TEXT    NOT NULL PRIMARY KEY CHECK (length(fingerprint) = 64),
    role        TEXT    NOT NULL CHECK (role IN ('current')),
    created_at  INTEGER NOT NULL
) STRICT;
