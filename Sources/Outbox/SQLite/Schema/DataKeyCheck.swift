import Foundation
import RelayCrypto

/// What a database says about its data key, read without writing anything.
public struct StoredKeyState: Sendable, Equatable {
    /// The fingerprint of the key its payloads are sealed with (nil before one was recorded).
    public let fingerprint: String?
    public let jobs: Int
}

/// Ties a database to its data key: the key's fingerprint is recorded on first open, and a store
/// opened with another key refuses to start (nothing is read, sealed or marked dead with it).
/// A database from before fingerprints has its key tried on one sealed payload first.
enum DataKeyCheck {
    static func verify(_ db: SQLiteDatabase, dataKey: DataKey, now: Int64) throws(OutboxError) {
        let mine = dataKey.fingerprint
        do {
            let stored = try db.withStatement(DataKeySQL.current) { s throws(SQLiteError) in try s.step() ? s.string(0) : nil }
            if let stored {
                guard stored == mine else { throw OutboxError.keyMismatch(stored: stored, given: mine) }
                return
            }
            let sample = try db.withStatement(DataKeySQL.anySealedPayload) { s throws(SQLiteError) in
                try s.step() ? (s.string(0), s.blob(1) ?? []) : nil
            }
            if let (id, sealed) = sample, (try? dataKey.open(sealed, associatedData: Array(id.utf8))) == nil {
                throw OutboxError.keyMismatch(stored: nil, given: mine)
            }
            try db.run(DataKeySQL.record) { s in
                s.bind(mine, to: ":fingerprint")
                s.bind(now, to: ":now")
            }
        } catch let e as SQLiteError {
            throw OutboxError.startup(e)
        } catch let e as OutboxError {
            throw e
        } catch {
            throw OutboxError.startup("data key check: \(error)")
        }
    }

    /// The key state of the database at `path`; nil when there is no database there. Read-only.
    static func inspect(path: String) throws(OutboxError) -> StoredKeyState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var config = SQLiteDatabase.Configuration()
        config.readOnly = true
        do {
            let db = try SQLiteDatabase(path: path, configuration: config)
            guard try db.withStatement(SchemaSQL.migrationsTableExists, { s throws(SQLiteError) in try s.step() }) else {
                return StoredKeyState(fingerprint: nil, jobs: 0)
            }
            let jobs = try db.withStatement(DataKeySQL.jobCount) { s throws(SQLiteError) in try s.step() ? s.int(0) : 0 }
            let hasTable = try db.withStatement(DataKeySQL.fingerprintTableExists) { s throws(SQLiteError) in try s.step() }
            let fingerprint =
                hasTable ? try db.withStatement(DataKeySQL.current) { s throws(SQLiteError) in try s.step() ? s.string(0) : nil } : nil
            return StoredKeyState(fingerprint: fingerprint, jobs: jobs)
        } catch {
            throw OutboxError.startup(error)
        }
    }
}

extension OutboxError {
    static func keyMismatch(stored: String?, given: String) -> OutboxError {
        let what = stored.map { "sealed with the data key of fingerprint \($0.prefix(16))…" } ?? "sealed with another data key"
        return .init(
            code: .startup,
            detail:
                "the data key does not match this database: its jobs are \(what), the configured key has fingerprint "
                + "\(given.prefix(16))…. Configure the key this database was created with (data_key, data_key_file or "
                + "OTP_RELAY_DATA_KEY); nothing was changed")
    }
}
