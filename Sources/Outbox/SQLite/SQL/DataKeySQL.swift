/// SQL of the data key fingerprint (`data_keys`, migration 0003; `data_key_index`, 0004) and of payloads' key ids.
enum DataKeySQL {
    static let record = "INSERT INTO data_keys (fingerprint, role, created_at) VALUES (:fingerprint, 'current', :now)"
    static let recordIndex = "INSERT INTO data_key_index (id, fingerprint, created_at) VALUES (1, :fingerprint, :now)"
    static let replace = "UPDATE data_keys SET fingerprint = :fingerprint, created_at = :now WHERE role = 'current'"
    /// Jobs holding a payload, by the key id in its header ('' for a payload without one), with one
    /// payload of each group to try the ring on (SQLite's bare columns: those of the min(id) row).
    static let payloadsByKeyID = """
        SELECT CASE WHEN substr(payload, 1, 4) = x'4F4B5201' AND length(payload) >= 40
                    THEN lower(hex(substr(payload, 5, 8))) ELSE '' END AS key_id,
               count(*), min(id), payload
        FROM jobs WHERE payload IS NOT NULL GROUP BY key_id
        """
    static let fingerprintTableExists = "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'data_keys'"
    /// One sealed payload, to try the key on a database from before fingerprints.
    static let anySealedPayload = "SELECT id, payload FROM jobs WHERE payload IS NOT NULL LIMIT 1"
}
