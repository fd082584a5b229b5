import Foundation
import Relay
import RelayCore

/// An `otp-relay` command: its help, and what it does with the command line once `--help` and
/// `--config` are taken (by `CommandInput`, the same for every command).
protocol Command {
    static var help: String { get }
    /// Reads the command's own options and positionals from `input`, then runs.
    static func run(with input: inout CommandInput) throws -> Int32
}

extension Command {
    /// Runs the command on its arguments (after the command's name): status 0 after printing the
    /// help when it is asked for.
    static func run(_ argv: [String], environment: [String: String]) throws -> Int32 {
        guard var input = try CommandInput(argv, help: help, environment: environment) else { return 0 }
        return try run(with: &input)
    }
}

/// What every command starts with: `--help` (prints the command's help) and `--config PATH`,
/// loaded with the `OTP_RELAY_*` environment once the rest of the command line is known good (a
/// usage error, status 2, is reported before a configuration error, status 1).
struct CommandInput {
    /// The arguments left for the command's own options and positionals.
    private var arguments: CommandLineArguments
    let configPath: String?
    let environment: [String: String]

    /// Nil when the arguments ask for help; `help` is then printed.
    init?(_ argv: [String], help: String, environment: [String: String]) throws(UsageError) {
        var a = CommandLineArguments(argv)
        if try a.help() {
            print(help)
            return nil
        }
        configPath = try a.option("--config")
        arguments = a
        self.environment = environment
    }

    /// The command's own flags, options and (last) positionals: `CommandLineArguments`.
    mutating func flag(_ name: String) throws(UsageError) -> Bool { try arguments.flag(name) }
    mutating func option(_ name: String) throws(UsageError) -> String? { try arguments.option(name) }
    mutating func positionals() throws(UsageError) -> [String] { try arguments.positionals() }

    /// The configuration file (`--config`, else `OTP_RELAY_CONFIG`) with the environment applied.
    func loadConfiguration() throws -> Configuration {
        try Configuration.load(path: configPath, environment: environment)
    }

    /// Who runs the command, for the audit records of replays and KYC records: `cli:` and the
    /// user (`SUDO_USER`, else `USER`, else the uid).
    var actor: String { "cli:" + (environment["SUDO_USER"] ?? environment["USER"] ?? "uid-\(getuid())") }

    /// For a command that takes nothing but `--config`: anything else refused, its configuration.
    func configurationOnly() throws -> Configuration {
        try arguments.finish()
        return try loadConfiguration()
    }
}
