import Foundation
import Outbox
import Relay
import RelayCore
import RelayCrypto

enum KeysCommand: Command {
    static let usage = "usage: otp-relay keys show | rotate [--stage | --promote] [--config PATH]"
    static let help = """
        Usage: otp-relay keys show | rotate [--stage | --promote] [--config PATH]

          show     the data key ring's fingerprints (never a key), the fingerprint the database
                   records and how many jobs each key id still seals
          rotate   one node: generates a new current key; the old one is kept in "previous" (it still
                   opens the jobs sealed with it) and the index key (dedupe and recipient lookups) is
                   kept. Prints the new fingerprint. A running serve picks the ring up at its next
                   start, then re-seals the older jobs in the background; an older key may leave
                   "previous" once `keys show` reports no job under its key id.
          rotate --stage
                   several nodes, first round: adds a new random key as "next", which opens jobs but
                   never seals; current, previous and index are unchanged. Copy the file to every
                   node and restart them one by one. Refused when a key is already staged.
          rotate --promote
                   several nodes, second round, on each node's copy: the staged key becomes current,
                   the old current the first previous key. Deterministic: every copy of one staged
                   file promotes to the same file. Restart the nodes one by one.
        The key file is rewritten atomically (0600, fsync, rename); no key is ever printed.
        """

    static func run(with input: inout CommandInput) throws -> Int32 {
        let stage = try input.flag("--stage")
        let promote = try input.flag("--promote")
        let pos = try input.positionals()
        guard pos == ["show"] && !stage && !promote || pos == ["rotate"] && !(stage && promote) else { throw UsageError(usage) }
        let config = try input.loadConfiguration()
        if pos == ["show"] { return try show(config) }
        return try rotate(config, stage ? .stage : promote ? .promote : .rotate)
    }

    /// What `keys rotate` does to the ring file.
    enum Rotation: String {
        case rotate = "rotated", stage = "staged", promote = "promoted"

        var change: (String) throws -> (old: KeyRing, new: KeyRing) {
            switch self {
            case .rotate: KeyRingFile.rotate
            case .stage: KeyRingFile.stage
            case .promote: KeyRingFile.promote
            }
        }
    }

    static func ring(_ config: Configuration) throws -> KeyRing {
        if let k = config.dataKey { return KeyRing(current: k) }
        guard let ring = try KeyRingFile.load(config.resolvedDataKeyFile) else {
            throw ConfigError(key: "data_key_file", "cannot read \(config.resolvedDataKeyFile)")
        }
        return ring
    }

    static func show(_ config: Configuration) throws -> Int32 {
        let ring = try ring(config)
        let state = try StoreFactory.storedKeyState(config.storeLocation)
        func jobs(_ id: String) -> String {
            state.map { " \($0.payloadsByKeyID[id] ?? 0) job(s)" } ?? ""
        }
        print("key file: \(config.dataKey == nil ? config.resolvedDataKeyFile : "(data_key / OTP_RELAY_DATA_KEY)")")
        print("current   \(ring.current.fingerprint)  key id \(ring.current.keyIDHex)\(jobs(ring.current.keyIDHex))")
        for k in ring.previous { print("previous  \(k.fingerprint)  key id \(k.keyIDHex)\(jobs(k.keyIDHex))") }
        if let k = ring.staged { print("staged    \(k.fingerprint)  key id \(k.keyIDHex)\(jobs(k.keyIDHex))  (opens, never seals)") }
        print("index     \(ring.index.fingerprint)  (dedupe and recipient lookups)")
        guard let state else {
            print("database: none at \(config.storeDescription)")
            return 0
        }
        print("database: \(config.storeDescription) records \(state.fingerprint.map { "fingerprint \($0)" } ?? "no fingerprint")")
        if let n = state.payloadsByKeyID[""] { print("  \(n) job(s) sealed before key ids (open with the index key)") }
        let known = Set(ring.openingKeys.map(\.keyIDHex) + [""])
        for (id, n) in state.payloadsByKeyID.sorted(by: { $0.key < $1.key }) where !known.contains(id) {
            print("  \(n) job(s) sealed with key id \(id), which this ring does not hold")
        }
        return 0
    }

    static func rotate(_ config: Configuration, _ rotation: Rotation) throws -> Int32 {
        guard config.dataKey == nil else {
            throw ConfigError(
                key: "data_key", "the data key is configured inline (data_key or OTP_RELAY_DATA_KEY): rotation needs data_key_file")
        }
        let path = config.resolvedDataKeyFile
        let (old, new) = try rotation.change(path)
        func line(_ what: String, _ k: DataKey, _ note: String) -> String {
            "  \(what.padding(toLength: 16, withPad: " ", startingAt: 0)) \(k.fingerprint)  key id \(k.keyIDHex)  \(note)"
        }
        var out = ["\(rotation.rawValue) \(path):"]
        if let staged = new.staged {
            out.append(line("staged key", staged, "(new: opens jobs, never seals until --promote)"))
            out.append(line("current key", new.current, "(unchanged: still seals new jobs)"))
        } else {
            out.append(line("new current key", new.current, rotation == .promote ? "(was staged)" : "(new)"))
            out.append(line("previous key", old.current, "(kept: it opens the jobs sealed with it)"))
        }
        out.append(line("index key", new.index, "(unchanged: dedupe and recipient lookups)"))
        switch rotation {
        case .stage:
            out.append("Copy this file to every node's data_key_file (0600) and restart the nodes one by one; then run")
            out.append("otp-relay keys rotate --promote on each node's copy and restart them one by one again.")
        case .promote:
            out.append("Restart this node to seal new jobs with the new key; the nodes re-seal older jobs in the background.")
            out.append("Every node must have restarted with the staged file before the first promoted node restarts.")
        case .rotate:
            out.append("Restart serve to seal new jobs with the new key; it re-seals older jobs in the background.")
            out.append("Several nodes sharing one database: use --stage, then --promote, instead.")
        }
        print(out.joined(separator: "\n"))
        return 0
    }
}
