import Foundation
import Relay
import RelayCore

/// otp-relay: receives SIMAS-ID one-time passwords and delivers them by email, SMS and WhatsApp.

let usage = """
    Usage: otp-relay <command> [options]

    Commands:
      serve                 run the service (the embedded default needs no configuration)
      migrate               create or upgrade the SQLite outbox, then exit
      credentials new       make a webhook (or --admin) credential and print it once
      config check          validate the configuration without starting
      jobs list|show|replay list jobs, show one with its attempts, replay dead ones
      stats                 job counts per status and channel
      token verify TOKEN|-  verify a SIMAS-ID access token
      kyc store|get         queue a KYC record for SQEKYC, or read one back
      keys show|rotate      the data key ring's fingerprints; rotate the data key (--stage/--promote: several nodes)
      backup PATH           a consistent, integrity-checked copy of the outbox (beside a running serve)

    Options for every command:
      --config PATH         JSON configuration (also OTP_RELAY_CONFIG)
      --help                help for a command
      --version             print the version
    """

let args = Array(CommandLine.arguments.dropFirst())
let env = ProcessInfo.processInfo.environment

func fail(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("otp-relay: \(message)\n".utf8))
    exit(status)
}

guard let command = args.first else { print(usage); exit(2) }
let rest = Array(args.dropFirst())
let status: Int32
do {
    switch command {
    case "--version", "version": print("otp-relay \(RelayVersion.current)"); status = 0
    case "--help", "-h", "help": print(usage); status = 0
    case "serve": status = try ServeCommand.run(rest, environment: env)
    case "migrate": status = try MigrateCommand.run(rest, environment: env)
    case "credentials": status = try CredentialsCommand.run(rest, environment: env)
    case "config": status = try ConfigCommand.run(rest, environment: env)
    case "jobs": status = try JobsCommand.run(rest, environment: env)
    case "stats": status = try StatsCommand.run(rest, environment: env)
    case "kyc": status = try KYCCommand.run(rest, environment: env)
    case "keys": status = try KeysCommand.run(rest, environment: env)
    case "backup": status = try BackupCommand.run(rest, environment: env)
    case "token":
        guard rest.first == "verify" else { throw UsageError("usage: otp-relay token verify TOKEN|- (see otp-relay token verify --help)") }
        status = TokenVerifyCommand.run(Array(rest.dropFirst()), environment: env)
    default: throw UsageError("unknown command \(command); see otp-relay --help")
    }
} catch let e as UsageError {
    fail(e.description)
} catch let e as ConfigError {
    fail(e.description, status: 1)
} catch {
    fail(String(describing: error), status: 1)
}
exit(status)
