import CMigrations

/// The migrations the binary carries: the files under `migrations/` themselves, embedded by the
/// `CMigrations` target (`.incbin`, listed by `scripts/embed-migrations`), read here once.
/// `OutboxTests.MigrationFilesTests` checks them against the files.
enum EmbeddedMigrations {
    /// migrations/NNNN_name.sql, for the SQLite store.
    static let all: [Migration] = read(otp_migration_sqlite_at)
    /// migrations/postgresql/NNNN_name.sql, for the PostgreSQL store.
    static let postgresql: [Migration] = read(otp_migration_postgresql_at)

    private static func read(_ entry: (Int) -> UnsafePointer<otp_migration_file>?) -> [Migration] {
        var out: [Migration] = []
        var i = 0
        while let file = entry(i)?.pointee, let name = file.name, let sql = file.sql {
            let base = String(cString: name)
            guard let number = Int(base.prefix(4)), base.dropFirst(4).first == "_" else {
                preconditionFailure("embedded migration with a bad name: \(base)")
            }
            out.append(Migration(version: number, name: String(base.dropFirst(5)), sql: String(cString: sql)))
            i += 1
        }
        return out
    }
}
