import Foundation
import Relay

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
        var a = Arguments(argv)
        if a.help() { print(help); return 0 }
        let path = try a.option("--config")
        let admin = a.flag("--admin")
        let replace = a.flag("--replace")
        let username = try a.option("--username")
        let pos = a.positionals()
        try a.finish()
        guard pos == ["new"] else { throw UsageError("usage: otp-relay credentials new [--admin] [--username NAME] [--replace]") }
        let config = try Configuration.load(path: path, environment: environment)
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
