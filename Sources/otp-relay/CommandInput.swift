import Relay
import RelayCore

/// What every command starts with: `--help` (prints the command's help) and `--config PATH`,
/// loaded with the `OTP_RELAY_*` environment once the rest of the command line is known good (a
/// usage error, status 2, is reported before a configuration error, status 1).
struct CommandInput {
    /// The arguments left for the command's own options and positionals.
    var arguments: CommandLineArguments
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

    /// The configuration file (`--config`, else `OTP_RELAY_CONFIG`) with the environment applied.
    func loadConfiguration() throws -> Configuration {
        try Configuration.load(path: configPath, environment: environment)
    }

    /// For a command that takes nothing but `--config`: its configuration, or nil after printing help.
    static func configurationOnly(_ argv: [String], help: String, environment: [String: String]) throws -> Configuration? {
        guard let input = try CommandInput(argv, help: help, environment: environment) else { return nil }
        try input.arguments.finish()
        return try input.loadConfiguration()
    }
}
