import Foundation
import Outbox
import RelayCore
import RelayCrypto

/// First-run secrets: the data key and the webhook/admin credentials, generated when none is
/// configured, stored 0600 beside the database (credentials as digests only) and printed once.
public enum SecretsBootstrap {
    /// A freshly generated credential: the password exists only in this value and on the screen.
    public struct Generated: Sendable {
        public let role: String
        public let username: String
        public let password: String
    }

    /// Reads or creates the data key file (one key, or a ring: `KeyRingFile`). A configured file
    /// that does not exist is an error; the default file is created on first run.
    public static func dataKeys(_ config: Configuration) throws -> (KeyRing, created: Bool) {
        if let k = config.dataKey { return (KeyRing(current: k), false) }
        let path = config.resolvedDataKeyFile
        if let ring = try KeyRingFile.load(path) { return (ring, false) }
        guard config.dataKeyFile == nil else { throw ConfigError(key: "data_key_file", "cannot read \(path)") }
        try refuseNewKeyOverJobs(config, keyFile: path)
        let key = DataKey.generate()
        try writePrivate(path, Array((key.base64 + "\n").utf8))
        return (KeyRing(current: key), true)
    }

    /// A new key never goes over a database that already has jobs or a key fingerprint: its
    /// payloads would be unreadable and every queued job would end dead.
    static func refuseNewKeyOverJobs(_ config: Configuration, keyFile: String) throws {
        let state: StoredKeyState?
        do { state = try StoreFactory.storedKeyState(config.storeLocation) } catch {
            throw ConfigError(key: "data_key_file", "\(keyFile) is missing and \(config.storeDescription) cannot be read: \(error)")
        }
        guard let state, state.jobs > 0 || state.fingerprint != nil else { return }
        let named = state.fingerprint.map { " (fingerprint \($0.prefix(16))…)" } ?? ""
        throw ConfigError(
            key: "data_key_file",
            "\(keyFile) is missing but \(config.storeDescription) holds \(state.jobs) job(s) sealed with a data key\(named). "
                + "Restore the key file from your backup (or set OTP_RELAY_DATA_KEY / data_key_file to it); a new key would "
                + "leave those jobs unreadable. To start afresh on purpose, move the database away first.")
    }

    /// Loads the credentials file and, when a role has no credential at all, generates one.
    public static func credentials(_ config: inout Configuration) throws -> [Generated] {
        var file = try CredentialsFile.load(config.resolvedCredentialsFile)
        var generated: [Generated] = []
        if config.webhookCredentials.isEmpty && file.webhook.isEmpty {
            let g = newCredential(role: "webhook", username: "simas-id")
            file.webhook.append(StoredCredential(username: g.username, password: g.password))
            generated.append(g)
        }
        if config.adminCredentials.isEmpty && file.admin.isEmpty {
            let g = newCredential(role: "admin", username: "admin")
            file.admin.append(StoredCredential(username: g.username, password: g.password))
            generated.append(g)
        }
        if !generated.isEmpty { try file.save(config.resolvedCredentialsFile) }
        config.webhookCredentials += file.webhook
        config.adminCredentials += file.admin
        return generated
    }

    /// A random credential: 192-bit password in base64url.
    public static func newCredential(role: String, username: String) -> Generated {
        let pw = Base64.encode(Crypto.randomBytes(24))
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return Generated(role: role, username: username, password: pw)
    }

    /// Writes a file readable by its owner only (created 0600, fsynced, replaced atomically by rename).
    static func writePrivate(_ path: String, _ bytes: [UInt8]) throws {
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ConfigError(key: "", "cannot create \(path): \(String(cString: strerror(errno)))") }
        var ok = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw ConfigError(key: "", "cannot write \(path)")
        }
        let dir = open(
            (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
        if dir >= 0 {  // the rename itself survives a crash
            _ = fsync(dir)
            close(dir)
        }
    }
}

/// The generated credentials file: `{"webhook": [{"username", "password_sha256"}], "admin": […]}`.
struct CredentialsFile {
    var webhook: [StoredCredential] = []
    var admin: [StoredCredential] = []

    static func load(_ path: String) throws -> CredentialsFile {
        guard let data = FileManager.default.contents(atPath: path) else { return CredentialsFile() }
        var r = try ConfigReader.parse(data: data)
        var f = CredentialsFile()
        f.webhook = try (r.objects("webhook") ?? []).map(Configuration.credential)
        f.admin = try (r.objects("admin") ?? []).map(Configuration.credential)
        try r.rejectUnknownKeys()
        return f
    }

    func save(_ path: String) throws {
        func list(_ cs: [StoredCredential]) -> String {
            cs.map { "    {\"username\": \(JSONText.quote($0.username)), \"password_sha256\": \"\(Crypto.hex($0.passwordDigest))\"}" }
                .joined(separator: ",\n")
        }
        let text = "{\n  \"webhook\": [\n\(list(webhook))\n  ],\n  \"admin\": [\n\(list(admin))\n  ]\n}\n"
        try SecretsBootstrap.writePrivate(path, Array(text.utf8))
    }
}
