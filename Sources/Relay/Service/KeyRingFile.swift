import Foundation
import RelayCore
import RelayCrypto

/// The data key file. Two formats, both read:
/// - one key in base64 on one line (what the first run generates): a ring of that one key;
/// - a ring, written by `otp-relay keys rotate`:
///   `{"current": "<base64>", "previous": ["<base64>", …], "index": "<base64>", "next": "<base64>"}` —
///   `current` seals new payloads, `previous` (newest first) only opens older ones, `index` derives
///   the HMAC lookup keys (dedupe key, recipient hash) and never changes on rotation (it is the
///   deployment's first key; when absent, the last of `previous`, else `current`; the database
///   records its fingerprint, `data_key_index`, and refuses a ring with another one), and the optional
///   `next` is a staged key (`keys rotate --stage`): it opens, never seals, until `--promote` makes it
///   `current`.
public enum KeyRingFile {
    public static func parse(_ data: Data, path: String) throws -> KeyRing {
        let text = String(decoding: data, as: UTF8.self).trimmingASCIIWhitespace()
        func key(_ b64: String, _ what: String) throws -> DataKey {
            do { return try DataKey(base64: b64.trimmingASCIIWhitespace()) } catch {
                throw ConfigError(key: "data_key_file", "\(path): \(what) does not hold 32 bytes in base64")
            }
        }
        guard text.hasPrefix("{") else { return KeyRing(current: try key(text, "the key")) }
        var r: ConfigReader
        do { r = try ConfigReader.parse(data: Data(text.utf8)) } catch {
            throw ConfigError(key: "data_key_file", "\(path) is not a valid key ring: \(error.problem)")
        }
        let current = try key(try r.requiredString("current"), "\"current\"")
        let previous = try (try r.strings("previous") ?? []).enumerated().map { try key($0.element, "\"previous\"[\($0.offset)]") }
        let index = try r.string("index").map { try key($0, "\"index\"") }
        let next = try r.string("next").map { try key($0, "\"next\"") }
        try r.rejectUnknownKeys()
        if let next, ([current] + previous).contains(where: { $0.keyID == next.keyID }) {
            throw ConfigError(key: "data_key_file", "\(path): \"next\" is already the current key or one of \"previous\"")
        }
        return KeyRing(current: current, previous: previous, index: index, staged: next)
    }

    public static func load(_ path: String) throws -> KeyRing? {
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        return try parse(d, path: path)
    }

    /// The ring as the JSON form (always written with its index key).
    public static func render(_ ring: KeyRing) -> String {
        let previous = ring.previous.map { "    \"\($0.base64)\"" }.joined(separator: ",\n")
        return """
            {
              "current": "\(ring.current.base64)",
              "previous": [\(previous.isEmpty ? "" : "\n\(previous)\n  ")],
              "index": "\(ring.index.base64)"\(ring.staged.map { ",\n  \"next\": \"\($0.base64)\"" } ?? "")
            }

            """
    }

    /// A new current key; the old current becomes the first previous key; the index key stays.
    /// Refused while a key is staged (promote it instead). The file is replaced atomically (0600
    /// temp file, fsync, rename).
    public static func rotate(_ path: String) throws -> (old: KeyRing, new: KeyRing) {
        try replace(path) { old in
            if old.staged != nil { throw stagedAlready(path) }
            return KeyRing(current: DataKey.generate(), previous: [old.current] + old.previous, index: old.index)
        }
    }

    /// A new random key staged as `next`: every key the ring had stays as it was. Refused when a
    /// key is already staged.
    public static func stage(_ path: String) throws -> (old: KeyRing, new: KeyRing) {
        try replace(path) { old in
            if old.staged != nil { throw stagedAlready(path) }
            return KeyRing(current: old.current, previous: old.previous, index: old.index, staged: DataKey.generate())
        }
    }

    /// The staged key becomes `current`, the old current the first of `previous`, the index key
    /// stays. Nothing random: every node's copy of one staged file promotes to the same file.
    public static func promote(_ path: String) throws -> (old: KeyRing, new: KeyRing) {
        try replace(path) { old in
            guard let staged = old.staged else {
                throw ConfigError(
                    key: "data_key_file",
                    "\(path) has no staged key (\"next\"): stage one first (otp-relay keys rotate --stage on one node, "
                        + "its file copied to every node)")
            }
            return KeyRing(current: staged, previous: [old.current] + old.previous, index: old.index)
        }
    }

    /// Reads the ring at `path`, and writes what `change` makes of it atomically.
    static func replace(_ path: String, _ change: (KeyRing) throws -> KeyRing) throws -> (old: KeyRing, new: KeyRing) {
        guard let old = try load(path) else { throw ConfigError(key: "data_key_file", "cannot read \(path)") }
        let new = try change(old)
        try SecretsBootstrap.writePrivate(path, Array(render(new).utf8))
        return (old, new)
    }

    static func stagedAlready(_ path: String) -> ConfigError {
        ConfigError(
            key: "data_key_file",
            "\(path) already has a staged key (\"next\"): copy this file to every node, restart them one by one, then run "
                + "otp-relay keys rotate --promote on each; nothing was changed")
    }
}
