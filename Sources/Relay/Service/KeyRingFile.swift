import Foundation
import RelayCore
import RelayCrypto

/// The data key file. Two formats, both read:
/// - one key in base64 on one line (what the first run generates): a ring of that one key;
/// - a ring, written by `otp-relay keys rotate`:
///   `{"current": "<base64>", "previous": ["<base64>", …], "index": "<base64>"}` — `current` seals
///   new payloads, `previous` (newest first) only opens older ones, `index` derives the HMAC lookup
///   keys (dedupe key, recipient hash) and never changes on rotation (it is the deployment's first key;
///   when absent, the last of `previous`, else `current`). The database records its fingerprint
///   (`data_key_index`) and refuses a ring with another one.
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
        try r.rejectUnknownKeys()
        return KeyRing(current: current, previous: previous, index: index)
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
              "index": "\(ring.index.base64)"
            }

            """
    }

    /// A new current key; the old current becomes the first previous key; the index key stays.
    /// The file is replaced atomically (0600 temp file, fsync, rename).
    public static func rotate(_ path: String) throws -> (old: KeyRing, new: KeyRing) {
        guard let old = try load(path) else { throw ConfigError(key: "data_key_file", "cannot read \(path)") }
        let new = KeyRing(current: DataKey.generate(), previous: old.openingKeys, index: old.index)
        try SecretsBootstrap.writePrivate(path, Array(render(new).utf8))
        return (old, new)
    }
}
