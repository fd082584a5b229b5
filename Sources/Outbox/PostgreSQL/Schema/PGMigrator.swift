import RelayCrypto

/// Applies the PostgreSQL migrations (`migrations/postgresql/`), each in its own transaction under
/// an advisory lock, so nodes starting at once apply each migration once. Refuses a database
/// migrated by a newer binary.
struct PGMigrator {
    let migrations: [Migration]

    init(migrations: [Migration] = EmbeddedMigrations.postgresql) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    static func appliedVersions(_ c: PGConnection) throws(PGError) -> [Int] {
        guard try c.exec(PGSchemaSQL.migrationsTableExists).bool(0, 0) else { return [] }
        let r = try c.exec(PortableSQL.appliedVersions)
        return (0..<r.count).map { r.int($0, 0) }
    }

    /// Applies what is pending; returns the versions applied by this call.
    @discardableResult
    func migrate(_ c: PGConnection, now: Int64) throws(OutboxError) -> [Int] {
        var applied: [Int] = []
        for m in migrations {
            do {
                try c.exec("BEGIN")
                try c.exec(PGSchemaSQL.lock)
                let versions = try Self.appliedVersions(c)
                if let newest = versions.last, newest > (migrations.last?.version ?? 0) {
                    c.rollbackIfNeeded()
                    throw OutboxError.startup("database schema version \(newest) is newer than this binary")
                }
                if versions.contains(m.version) {
                    try c.exec("COMMIT")
                    continue
                }
                try c.execScript(m.sql)
                try c.exec(PGSchemaSQL.recordMigration, [String(m.version), m.name, String(now)])
                try c.exec("COMMIT")
                applied.append(m.version)
            } catch let e as OutboxError {
                throw e
            } catch {
                c.rollbackIfNeeded()
                throw .startup("migration \(m.version)_\(m.name): \(error)")
            }
        }
        return applied
    }
}

/// The data key check of `DataKeyCheck`, on PostgreSQL: the first node records the key's
/// fingerprints; a node with a ring that cannot open the stored payloads refuses to start.
enum PGDataKeyCheck {
    static func verify(_ c: PGConnection, keys: KeyRing, now: Int64) throws(OutboxError) {
        let mine = keys.current.fingerprint
        do {
            try c.exec("BEGIN")
            try c.exec(PGSchemaSQL.lock)
            let cur = try c.exec(PortableSQL.currentKey)
            let stored = cur.count > 0 ? cur.string(0, 0) : nil
            let idx = try c.exec(PortableSQL.indexKey)
            let index = idx.count > 0 ? idx.string(0, 0) : nil
            try DataKeyRules.checkRecorded(current: stored, index: index, keys: keys)
            let groups = try c.exec(PGSchemaSQL.payloadsByKeyID)
            for g in 0..<groups.count {
                let id = groups.string(g, 2)
                let sealed = try c.exec(PGSchemaSQL.payload, [id])
                guard sealed.count > 0, let bytes = sealed.bytes(0, 0) else { continue }
                try DataKeyRules.checkPayload(
                    bytes, jobID: id, keyID: groups.string(g, 0), jobs: groups.int(g, 1), keys: keys, stored: stored)
            }
            if DataKeyRules.records(current: stored, keys: keys) {
                try c.exec(stored == nil ? PGSchemaSQL.recordKey : PGSchemaSQL.replaceKey, [mine, String(now)])
            }
            if index == nil { try c.exec(PGSchemaSQL.recordIndexKey, [keys.index.fingerprint, String(now)]) }
            try c.exec("COMMIT")
        } catch let e as OutboxError {
            c.rollbackIfNeeded()
            throw e
        } catch {
            c.rollbackIfNeeded()
            throw .startup("data key check: \(error)")
        }
    }

    /// What the database records about its data key; nil when it has no schema yet. Read-only.
    static func inspect(_ c: PGConnection) throws(OutboxError) -> StoredKeyState? {
        do throws(PGError) {
            guard try c.exec(PGSchemaSQL.migrationsTableExists).bool(0, 0) else { return nil }
            let jobs = try c.exec(PortableSQL.jobCount).int(0, 0)
            let cur = try c.exec(PortableSQL.currentKey)
            var state = StoredKeyState(fingerprint: cur.count > 0 ? cur.string(0, 0) : nil, jobs: jobs)
            let groups = try c.exec(PGSchemaSQL.payloadsByKeyID)
            for g in 0..<groups.count { state.payloadsByKeyID[groups.string(g, 0)] = groups.int(g, 1) }
            return state
        } catch {
            throw .startup("\(error)")
        }
    }
}
