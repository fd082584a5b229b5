import Foundation

/// Migrations for `otp-relay migrate`: applies what is pending on the file at `path`
/// (creating it) and names the migrations applied by this call.
public enum OutboxMigrations {
    public static func migrate(path: String, now: Int64) throws(OutboxError) -> [String] {
        do {
            let db = try SQLiteDatabase(path: path, configuration: SQLiteDatabase.Configuration())
            let migrator = Migrator()
            let applied = try migrator.migrate(db, now: now)
            return migrator.migrations.filter { applied.contains($0.version) }
                .map { String(format: "%04d_%@", $0.version, $0.name) }
        } catch {
            throw OutboxError.startup(error)
        }
    }
}
