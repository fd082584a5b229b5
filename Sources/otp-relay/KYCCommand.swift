import Foundation
import Outbox
import Relay
import RelayCore
import SQEKYC

/// `otp-relay kyc store FILE|-` and `otp-relay kyc get --phone 62…` (docs/design.md §8): queue an
/// approved KYC record for SQEKYC through the outbox, or read one back from SQEKYC.
enum KYCCommand: Command {
    static let help = """
        Usage:
          otp-relay kyc store FILE|- [--config PATH]
          otp-relay kyc get --phone 62… [--config PATH]

        store  validates a JSON record {client_id, phone_number, full_name, nik, date_of_birth,
               email} (client_id defaults to sqekyc.client_id) from FILE or stdin, queues it in the
               outbox sealed with the data key, and prints the job id. The running service
               delivers it to SQEKYC (retries, dead-letter, replay: otp-relay jobs --kind kyc).
        get    asks SQEKYC for the record of a phone number (62…, +62… or 08…) and prints it as
               JSON; exit status 3 when SQEKYC has none.

        Needs the sqekyc section (or OTP_RELAY_SQEKYC_BASE_URL, OTP_RELAY_SQEKYC_CLIENT_ID and
        OTP_RELAY_SQEKYC_CLIENT_SECRET). Records are personal data: nothing but the masked phone
        number is printed on errors.
        """

    static func run(with input: inout CommandInput) throws -> Int32 {
        let phone = try input.option("--phone")
        let pos = try input.positionals()
        guard let sub = pos.first else { throw UsageError("usage: otp-relay kyc store FILE|- | kyc get --phone 62… (see --help)") }
        switch sub {
        case "store":
            guard pos.count == 2, phone == nil else { throw UsageError("usage: otp-relay kyc store FILE|-") }
            return try store(source: pos[1], input: input)
        case "get":
            guard pos.count == 1, let phone else { throw UsageError("usage: otp-relay kyc get --phone 62…") }
            return try get(phone: phone, input: input)
        default:
            throw UsageError("unknown kyc command \(sub); see otp-relay kyc --help")
        }
    }

    static func settings(_ config: Configuration) throws -> SQEKYCSettings {
        guard let s = config.sqekyc else {
            throw ConfigError(key: "sqekyc", "is not configured (or set OTP_RELAY_SQEKYC_BASE_URL, _CLIENT_ID, _CLIENT_SECRET)")
        }
        return s
    }

    static func store(source: String, input: CommandInput) throws -> Int32 {
        let config = try input.loadConfiguration()
        let settings = try settings(config)
        let body = try read(source)
        do {
            _ = try KYCRecord.parse(body, defaultClientID: settings.clientID, nowMillis: SystemClock().nowMillis())
        } catch {
            FileHandle.standardError.write(Data("otp-relay: kyc store: \(error.errorDescription)\n".utf8))
            return 1
        }
        // The record must be sealed with the key the service opens it with: never make a new one.
        guard config.dataKey != nil || FileManager.default.fileExists(atPath: config.resolvedDataKeyFile) else {
            throw ConfigError(
                key: "data_key_file", "\(config.resolvedDataKeyFile) does not exist: run otp-relay serve once, or configure data_key")
        }
        let (keys, _) = try SecretsBootstrap.dataKeys(config)
        let outbox = try StoreFactory.open(config.storeLocation, keys: keys, logger: Logger(level: .warning))
        defer { outbox.close() }
        let ingest = KYCIngest(store: outbox, dataKey: keys.index, settings: settings, logger: Logger(level: .warning))
        do {
            let r = try ingest.submitAndWait(body: body, actor: input.actor)
            print(r.id)
            return 0
        } catch {
            FileHandle.standardError.write(Data("otp-relay: kyc store: \(error.errorDescription)\n".utf8))
            return 1
        }
    }

    static func get(phone raw: String, input: CommandInput) throws -> Int32 {
        let config = try input.loadConfiguration()
        let settings = try settings(config)
        guard let phone = KYCRecord.normalizePhone(raw) else {
            throw UsageError("--phone must be an Indonesian number: 62…, +62… or 08…, 10 to 15 digits")
        }
        let client = SQEKYCClient(configuration: settings.client)
        do {
            guard let record = try client.fetch(phoneNumber: phone) else {
                FileHandle.standardError.write(Data("otp-relay: kyc get: SQEKYC has no record for \(Recipient.mask("+" + phone))\n".utf8))
                return 3
            }
            print(record.json)
            return 0
        } catch {
            FileHandle.standardError.write(Data("otp-relay: kyc get: \(error.description)\n".utf8))
            return 1
        }
    }

    /// The record's bytes from a file or stdin, bounded.
    static func read(_ source: String) throws -> [UInt8] {
        let limit = KYCRecord.maxBodyBytes
        let data: Data?
        if source == "-" {
            data = try FileHandle.standardInput.read(upToCount: limit + 1)
        } else {
            guard let h = FileHandle(forReadingAtPath: source) else { throw UsageError("cannot read \(source)") }
            defer { try? h.close() }
            data = try h.read(upToCount: limit + 1)
        }
        let bytes = [UInt8](data ?? Data())
        guard bytes.count <= limit else { throw UsageError("the record is larger than \(limit) bytes") }
        return bytes
    }
}
