import Foundation
import Relay
import RelayCore

enum CredentialsCommand: Command {
    static let help = """
        Usage: otp-relay credentials new [--admin] [--username NAME] [--replace] [--config PATH]

        Generates a credential (192-bit password), adds its digest to the credentials file and
        prints the webhook URL, username and password to hand to SIMAS-ID — once. Several
        credentials stay active together so they can be rotated without downtime; --replace drops
        the older ones of the same role once SIMAS-ID uses the new one. A running service picks
        up the change on restart.
        """

    static func run(with input: inout CommandInput) throws -> Int32 {
        let admin = try input.flag("--admin")
        let replace = try input.flag("--replace")
        let username = try input.option("--username")
        let pos = try input.positionals()
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
