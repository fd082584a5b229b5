import CSystem
import Foundation
import Relay
import RelayCore

enum ServeCommand: Command {
    static let help = """
        Usage: otp-relay serve [--config PATH]

        Runs the webhook receiver, the delivery workers and the admin listener. With no
        configuration: SQLite file in the working directory, public listener 127.0.0.1:8080,
        admin listener 127.0.0.1:9090, the sandbox provider for every channel, and a data key
        and credentials generated on first run (stored 0600, printed once).
        """

    static func run(with input: inout CommandInput) throws -> Int32 {
        var config = try input.configurationOnly()
        // Eight malloc arenas (glibc's default is eight per core): enough for the event loops, the
        // outbox writer and the checkpointer to each have their own. With two, the writer shared an
        // arena with an event loop and bench-ingest made ~11,000 futex calls a second on its lock
        // (~18% of the writer's CPU); with eight, ~700. Peak RSS is the same 51-53 MiB either way,
        // with delivery on or off; the cap keeps many delivery workers from growing more.
        limitMallocArenas(8)
        PrivateFiles.restrictCreationMode()
        let logger = Logger(level: config.logLevel)
        PrivateFiles.tighten(config, logger: logger)
        let (keys, createdKey) = try SecretsBootstrap.dataKeys(config)
        if createdKey { logger.warning("generated a new data key", ["file": .string(config.resolvedDataKeyFile)]) }
        logger.info(
            "data keys",
            [
                "current": .string(keys.current.keyIDHex), "previous": .string(keys.previous.map(\.keyIDHex).joined(separator: ",")),
                "staged": .string(keys.staged?.keyIDHex ?? "none"),
            ])
        let generated = try SecretsBootstrap.credentials(&config)
        // Signals caught before anything starts: a SIGTERM during start-up stops the service cleanly.
        let signals = ShutdownSignals()
        let service = try RelayService(
            configuration: config, keys: keys, logger: logger, systemd: SystemdNotifier.Settings(environment: input.environment))
        try service.start()
        service.resealInBackground()
        for g in generated {
            printCredential(g, config: config, port: service.publicPort)
        }
        return service.runUntilSignalled(signals)
    }

    /// Printed on stdout once; only the digest is kept on disk.
    static func printCredential(_ g: SecretsBootstrap.Generated, config: Configuration, port: Int) {
        var url = config.webhookURL
        if config.publicBaseURL == nil { url = "http://\(ListenAddress(host: config.listen.host, port: port))/v1/webhooks/otp" }
        // Written straight to fd 1: stdout may be a file, and this must not wait in a buffer.
        FileHandle.standardOutput.write(
            Data(
                """
                ================================================================
                Generated \(g.role) credential (shown once; only its digest is stored in
                \(config.resolvedCredentialsFile)):
                \(g.role == "webhook" ? "  webhook URL: \(url)\n" : "")  username:    \(g.username)
                  password:    \(g.password)
                ================================================================

                """.utf8))
    }
}

enum MigrateCommand: Command {
    static let help = """
        Usage: otp-relay migrate [--config PATH]

        Creates the outbox (the SQLite file, or the schema in PostgreSQL with database_url) or applies the
        pending migrations (embedded in the binary), then exits.
        """

    static func run(with input: inout CommandInput) throws -> Int32 {
        let config = try input.configurationOnly()
        let applied = try RelayMaintenance.migrate(config)
        print(
            applied.isEmpty
                ? "migrate: \(config.storeDescription) is up to date"
                : "migrate: applied \(applied.joined(separator: ", ")) to \(config.storeDescription)")
        return 0
    }
}

enum ConfigCommand: Command {
    static let help = """
        Usage: otp-relay config check [--config PATH]

        Validates the configuration file and environment without starting; names the first bad key.
        """

    static func run(with input: inout CommandInput) throws -> Int32 {
        let pos = try input.positionals()
        guard pos == ["check"] else { throw UsageError("usage: otp-relay config check [--config PATH]") }
        let config = try input.loadConfiguration()
        try RelayMaintenance.check(config)
        print("config: OK (database \(config.storeDescription), listen \(config.listen), admin \(config.adminListen))")
        return 0
    }
}

/// `mallopt(M_ARENA_MAX, n)`, from malloc.h through the `CSystem` shim.
func limitMallocArenas(_ n: Int32) {
    _ = csystem_mallopt_arena_max(n)
}
