import Foundation
import RelayCrypto

/// What a database says about its data key, read without writing anything.
public struct StoredKeyState: Sendable, Equatable {
    /// The fingerprint of the key its payloads are sealed with (nil before one was recorded).
    public let fingerprint: String?
    public let jobs: Int
    /// Jobs holding a payload, by the key id its header names ("" for payloads from before key ids).
    public var payloadsByKeyID: [String: Int] = [:]
}

/// Ties a database to its data keys: the current key's fingerprint is recorded, and a store
/// opened with a ring that holds neither the recorded key nor the keys its payloads name refuses
/// to start (nothing is read, sealed or marked dead with it). After a rotation the ring's new
/// current key is recorded. A database from before fingerprints has its key tried on one payload.
enum DataKeyCheck {
    static func verify(_ db: SQLiteDatabase, keys: KeyRing, now: Int64) throws(OutboxError) {
        let mine = keys.current.fingerprint
        do {
            let stored = try db.withStatement(PortableSQL.currentKey) { s throws(SQLiteError) in try s.step() ? s.string(0) : nil }
            let index = try db.withStatement(PortableSQL.indexKey) { s throws(SQLiteError) in try s.step() ? s.string(0) : nil }
            try DataKeyRules.checkRecorded(current: stored, index: index, keys: keys)
            try checkPayloads(db, keys: keys, stored: stored)
            if DataKeyRules.records(current: stored, keys: keys) {
                try db.run(stored == nil ? DataKeySQL.record : DataKeySQL.replace) { s in
                    s.bind(mine, to: ":fingerprint")
                    s.bind(now, to: ":now")
                }
            }
            if index == nil {
                try db.run(DataKeySQL.recordIndex) { s in
                    s.bind(keys.index.fingerprint, to: ":fingerprint")
                    s.bind(now, to: ":now")
                }
            }
        } catch let e as SQLiteError {
            throw OutboxError.startup(e)
        } catch let e as OutboxError {
            throw e
        } catch {
            throw OutboxError.startup("data key check: \(error)")
        }
    }

    /// One payload of each key id (and one from before key ids) must open with the ring: a ring
    /// that lost a key its jobs still need is refused, naming the key id and the job count.
    static func checkPayloads(_ db: SQLiteDatabase, keys: KeyRing, stored: String?) throws {
        let groups = try db.withStatement(DataKeySQL.payloadsByKeyID) { s throws(SQLiteError) in
            var out: [(keyID: String, jobs: Int, id: String, sealed: [UInt8])] = []
            while try s.step() { out.append((s.string(0), s.int(1), s.string(2), s.blob(3) ?? [])) }
            return out
        }
        for g in groups {
            try DataKeyRules.checkPayload(g.sealed, jobID: g.id, keyID: g.keyID, jobs: g.jobs, keys: keys, stored: stored)
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
            let jobs = try db.withStatement(PortableSQL.jobCount) { s throws(SQLiteError) in try s.step() ? s.int(0) : 0 }
            let hasTable = try db.withStatement(DataKeySQL.fingerprintTableExists) { s throws(SQLiteError) in try s.step() }
            let fingerprint =
                hasTable ? try db.withStatement(PortableSQL.currentKey) { s throws(SQLiteError) in try s.step() ? s.string(0) : nil } : nil
            var state = StoredKeyState(fingerprint: fingerprint, jobs: jobs)
            try db.withStatement(DataKeySQL.payloadsByKeyID) { s throws(SQLiteError) in
                while try s.step() { state.payloadsByKeyID[s.string(0)] = s.int(1) }
            }
            return state
        } catch {
            throw OutboxError.startup(error)
        }
    }
}

extension OutboxError {
    static func indexKeyMismatch(stored: String, given: String) -> OutboxError {
        .init(
            code: .startup,
            detail:
                "the key ring's index key has fingerprint \(given.prefix(16))…, but this database's dedupe keys and recipient "
                + "hashes were made with the key of fingerprint \(stored.prefix(16))…. Set \"index\" in the key file to that "
                + "key (the deployment's first data key; otp-relay keys rotate keeps it); nothing was changed")
    }

    static func keyMissing(keyID: String, jobs: Int, ring: KeyRing) -> OutboxError {
        let which = keyID.isEmpty ? "sealed before key ids" : "sealed with key id \(keyID)"
        let held = ring.openingKeys.map(\.keyIDHex).joined(separator: ", ")
        return .init(
            code: .startup,
            detail:
                "the data key ring cannot open \(jobs) job(s) of this database (\(which)); the ring holds key ids \(held). "
                + "Put the older key back in the key file's \"previous\" list (otp-relay keys show counts the jobs of each "
                + "key id); nothing was changed")
    }

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
