import Foundation
import Relay
import RelayCore

enum CredentialsCommand {
    static let help = """
        Usage: otp-relay credentials new [--admin] [--username NAME] [--replace] [--config PATH]

        Generates a credential (192-bit password), adds its digest to the credentials file and
        prints the webhook URL, username and password to hand to SIMAS-ID — once. Several
        credentials stay active together so they can be rotated without downtime; --replace drops
        the older ones of the same role once SIMAS-ID uses the new one. A running service picks
        up the change on restart.
        """

    static func run(_ argv: [String], environment: [String: String]) throws -> Int32 {
        guard let input = try CommandInput(argv, help: help, environment: environment) else { return 0 }
        var a = input.arguments
        let admin = try a.flag("--admin")
        let replace = try a.flag("--replace")
        let username = try a.option("--username")
        let pos = try a.positionals()
        guard pos == ["new"] else { throw UsageError("usage: otp-relay credentials new [--admin] [--username NAME] [--replace]") }
        let config = try input.loadConfiguration()
        let g = try RelayMaintenance.newCredential(config, admin: admin, username: username, replace: replace)
        print(
            """
            \(admin ? "admin" : "webhook") credential (shown once; only its digest is stored in \(config.resolvedCredentialsFile)):
            \(admin ? "" : "  webhook URL: \(config.webhookURL)\n")  username:    \(g.username)
              password:    \(g.password)
            """)
        return 0
    }
}
