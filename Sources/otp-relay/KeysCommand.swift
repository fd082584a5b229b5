import Foundation
import Outbox
import Relay
import RelayCore
import RelayCrypto

enum KeysCommand: Command {
    static let help = """
        Usage: otp-relay keys show|rotate [--config PATH]

          show     the data key ring's fingerprints (never a key), the fingerprint the database
                   records and how many jobs each key id still seals
          rotate   generates a new current key; the old one is kept in "previous" (it still opens the
                   jobs sealed with it) and the index key (dedupe and recipient lookups) is kept. The
                   key file is rewritten atomically (0600, fsync, rename); prints the new fingerprint.
                   A running serve picks the ring up at its next start, then re-seals the older jobs
                   in the background; an older key may leave "previous" once `keys show` reports no
                   job under its key id.
        """

    static func run(with input: inout CommandInput) throws -> Int32 {
        let pos = try input.positionals()
        guard pos == ["show"] || pos == ["rotate"] else { throw UsageError("usage: otp-relay keys show|rotate [--config PATH]") }
        let config = try input.loadConfiguration()
        switch pos {
        case ["show"]: return try show(config)
        case ["rotate"]: return try rotate(config)
        default: throw UsageError("usage: otp-relay keys show|rotate [--config PATH]")
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

    static func rotate(_ config: Configuration) throws -> Int32 {
        guard config.dataKey == nil else {
            throw ConfigError(
                key: "data_key", "the data key is configured inline (data_key or OTP_RELAY_DATA_KEY): rotation needs data_key_file")
        }
        let (old, new) = try KeyRingFile.rotate(config.resolvedDataKeyFile)
        print(
            """
            rotated \(config.resolvedDataKeyFile):
              new current key  \(new.current.fingerprint)  key id \(new.current.keyIDHex)
              previous key     \(old.current.fingerprint)  (kept: it opens the jobs sealed with it)
              index key        \(new.index.fingerprint)  (unchanged: dedupe and recipient lookups)
            Restart serve to seal new jobs with the new key; it re-seals older jobs in the background.
            """)
        return 0
    }
}
