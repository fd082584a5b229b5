/// The statements both stores' SQL dialects (SQLite, PostgreSQL) read alike, byte for byte:
/// written once. Each store's own SQL (`SQLite/SQL/`, `PostgreSQL/SQL/`) holds the rest.
enum PortableSQL {
    static let appliedVersions = "SELECT version FROM schema_migrations ORDER BY version"
    static let currentKey = "SELECT fingerprint FROM data_keys WHERE role = 'current'"
    static let indexKey = "SELECT fingerprint FROM data_key_index WHERE id = 1"
    static let jobCount = "SELECT count(*) FROM jobs"
}
