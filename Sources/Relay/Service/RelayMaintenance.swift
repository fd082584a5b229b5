import Foundation
import Outbox
import RelayCore
import RelayCrypto

/// One-shot operations behind the CLI (migrate, config check, credentials).
public enum RelayMaintenance {
    /// Applies pending migrations; returns the names applied.
    public static func migrate(_ config: Configuration) throws -> [String] {
        try StoreFactory.migrate(config.storeLocation, now: SystemClock().nowMillis())
    }

    /// Validates what start-up would validate, without binding or writing anything.
    public static func check(_ config: Configuration) throws {
        if config.dataKey == nil, let f = config.dataKeyFile {
            guard let d = FileManager.default.contents(atPath: f) else { throw ConfigError(key: "data_key_file", "cannot read \(f)") }
            _ = try KeyRingFile.parse(d, path: f)
        }
        _ = try CredentialsFile.load(config.resolvedCredentialsFile)
    }

    /// Opens the existing outbox for reading only (`jobs list`, `jobs show`, `stats`): no data key,
    /// no migration, never creates a file; "no database at PATH" when there is none.
    public static func openReadOnlyStore(_ config: Configuration) throws -> any ReadOnlyJobStore {
        try StoreFactory.openReadOnly(config.storeLocation)
    }

    /// `otp-relay backup PATH`: a consistent, integrity-checked copy of the outbox beside a running
    /// service (see `StoreFactory.backup`).
    public static func backup(_ config: Configuration, to destination: String, force: Bool) throws -> BackupReport {
        try StoreFactory.backup(config.storeLocation, to: destination, force: force)
    }

    /// Opens the outbox for operator writes (`jobs replay`, beside a running service). Uses the configured or stored data key; never
    /// creates one (a new key would not open the jobs already sealed).
    public static func openStore(_ config: Configuration) throws -> any OutboxStore {
        guard StoreFactory.exists(config.storeLocation) else {
            throw OutboxError.startup("no database at \(config.storeDescription)")
        }
        let keys: KeyRing
        var options = OutboxOptions()
        if config.dataKey != nil || FileManager.default.fileExists(atPath: config.resolvedDataKeyFile) {
            keys = try SecretsBootstrap.dataKeys(config).0
        } else {
            keys = KeyRing(current: DataKey.generate())  // nothing sealed can be read, and nothing here needs to
            options.verifyDataKey = false  // nor is this key recorded as the database's
        }
        return try StoreFactory.open(config.storeLocation, keys: keys, logger: Logger(level: .warning), options: options)
    }

    public static func newCredential(
        _ config: Configuration, admin: Bool, username: String?,
        replace: Bool
    ) throws -> SecretsBootstrap.Generated {
        let role = admin ? "admin" : "webhook"
        let g = SecretsBootstrap.newCredential(role: role, username: username ?? (admin ? "admin" : "simas-id"))
        _ = try Configuration.checked(StoredCredential(username: g.username, password: g.password), "--username")
        var file = try CredentialsFile.load(config.resolvedCredentialsFile)
        let cred = StoredCredential(username: g.username, password: g.password)
        if admin { file.admin = (replace ? [] : file.admin) + [cred] } else { file.webhook = (replace ? [] : file.webhook) + [cred] }
        try file.save(config.resolvedCredentialsFile)
        return g
    }
}

public enum RelayVersion {
    public static let current = "0.1.0"
}
