import CSQLite

/// One forward-only schema migration, `migrations/NNNN_name.sql`.
struct Migration: Sendable, Equatable {
    let version: Int
    let name: String
    let sql: String
}

/// Applies pending migrations, each in its own `BEGIN IMMEDIATE` transaction recorded in
/// `schema_migrations`. Refuses a database migrated by a newer binary. Foreign keys are off while
/// migrations run (SQLite's table rebuild: dropping the old table must not cascade) and checked
/// (`foreign_key_check`) before each commit.
struct Migrator {
    let migrations: [Migration]

    init(migrations: [Migration] = EmbeddedMigrations.all) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// The versions applied so far (empty for a fresh file).
    static func appliedVersions(_ db: SQLiteDatabase) throws(SQLiteError) -> [Int] {
        let exists = try db.withStatement(SchemaSQL.migrationsTableExists) { s throws(SQLiteError) in try s.step() }
        guard exists else { return [] }
        return try db.withStatement(PortableSQL.appliedVersions) { s throws(SQLiteError) in
            var out: [Int] = []
            while try s.step() { out.append(s.int(0)) }
            return out
        }
    }

    /// Applies what is pending; returns the versions applied by this call.
    @discardableResult
    func migrate(_ db: SQLiteDatabase, now: Int64) throws(SQLiteError) -> [Int] {
        var applied: [Int] = []
        try db.execute(SchemaSQL.foreignKeysOff)
        defer { try? db.execute(SchemaSQL.foreignKeys) }
        for m in migrations {
            do {
                let done = try db.immediateTransaction { () throws(SQLiteError) -> Bool in
                    let versions = try Migrator.appliedVersions(db)
                    if let newest = versions.last, newest > (migrations.last?.version ?? 0) {
                        throw SQLiteError(
                            code: SQLITE_ERROR, operation: "migrate",
                            detail: "database schema version \(newest) is newer than this binary")
                    }
                    if versions.contains(m.version) { return false }
                    try db.execute(m.sql)
                    let dangling = try db.withStatement(SchemaSQL.foreignKeyCheck) { s throws(SQLiteError) in try s.step() }
                    if dangling {
                        throw SQLiteError(code: SQLITE_CONSTRAINT, operation: "migrate", detail: "foreign key check failed")
                    }
                    try db.run(SchemaSQL.recordMigration) { s in
                        s.bind(m.version, to: ":version")
                        s.bind(m.name, to: ":name")
                        s.bind(now, to: ":now")
                    }
                    return true
                }
                if done { applied.append(m.version) }
            } catch {
                throw SQLiteError(
                    code: error.extendedCode, operation: "migration \(m.version)_\(m.name)",
                    detail: error.detail)
            }
        }
        return applied
    }
}
