/// SQL of the data key fingerprint (`data_keys`, migration 0003).
enum DataKeySQL {
    static let current = "SELECT fingerprint FROM data_keys WHERE role = 'current'"
    static let record = "INSERT INTO data_keys (fingerprint, role, created_at) VALUES (:fingerprint, 'current', :now)"
    static let fingerprintTableExists = "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'data_keys'"
    static let jobCount = "SELECT count(*) FROM jobs"
    /// One sealed payload, to try the key on a database from before fingerprints.
    static let anySealedPayload = "SELECT id, payload FROM jobs WHERE payload IS NOT NULL LIMIT 1"
}
