/// SQL of schema migrations and of connection set-up (pragmas).
enum SchemaSQL {
    static let migrationsTableExists = "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'"
    static let recordMigration = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:version, :name, :now)"

    // Pragmas take no bound parameters: the values are integers from the configuration.
    static let foreignKeys = "PRAGMA foreign_keys = ON"
    /// Migrations run with foreign keys off (a table rebuild must not cascade), checked before commit.
    static let foreignKeysOff = "PRAGMA foreign_keys = OFF"
    static let foreignKeyCheck = "PRAGMA foreign_key_check"
    static func cacheSize(kib: Int) -> String { "PRAGMA cache_size = -\(kib)" }
    static func pageSize(_ bytes: Int) -> String { "PRAGMA page_size = \(bytes)" }
    static let journalModeWAL = "PRAGMA journal_mode = WAL"
    /// A backup copy: one file, no `-wal` (serve turns WAL back on when it opens it).
    static let journalModeDelete = "PRAGMA journal_mode = DELETE"
    static let integrityCheck = "PRAGMA integrity_check"
    static func journalSizeLimit(_ bytes: Int64) -> String { "PRAGMA journal_size_limit = \(bytes)" }
    static func walAutocheckpoint(pages: Int) -> String { "PRAGMA wal_autocheckpoint = \(pages)" }
    static let queryOnly = "PRAGMA query_only = ON"
    /// Deleted content (an erased payload, a purged row) is overwritten with zeros in its page.
    static let secureDelete = "PRAGMA secure_delete = ON"
    static let synchronousFull = "PRAGMA synchronous = FULL"
    /// For batches of claims, renewals and finishes only (`WriteItem.durable`).
    static let synchronousNormal = "PRAGMA synchronous = NORMAL"
    static func setMaxPageCount(_ pages: Int) -> String { "PRAGMA max_page_count = \(pages)" }
    static let maxPageCount = "PRAGMA max_page_count"
    static let pageCount = "PRAGMA page_count"
}
