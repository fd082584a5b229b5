import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A real PgBouncer (the Debian package's `/usr/sbin/pgbouncer`) on a free loopback port in front
/// of a `PostgresServer`: its own ini, user list, log and pid file in a temporary directory,
/// `auth_type = trust` on 127.0.0.1, `pool_mode` transaction unless told, and a small server pool
/// (`default_pool_size`) so a test sees many clients share few server sessions. PgBouncer refuses
/// to run as root: as root it switches to `postgres` itself (`-u postgres`), so its pid is the
/// process this starts, and `stop()` ends it by that pid. Tests skip (with the reason) when the
/// binary is missing, except in CI (`CI=true`), where a missing binary fails them.
public final class PgBouncerProcess: @unchecked Sendable {
    public static let binary = "/usr/sbin/pgbouncer"
    public let directory: String
    public let port: Int
    public let server: PostgresServer
    public let poolSize: Int
    private var pid: pid_t = 0

    /// Throws `XCTSkip` (outside CI) or an error (in CI) when PgBouncer is not installed.
    public static func requireInstalled() throws {
        guard !FileManager.default.isExecutableFile(atPath: binary) else { return }
        let reason = "pgbouncer not found (\(binary)): run scripts/install-deps --test"
        if ProcessInfo.processInfo.environment["CI"] == "true" { throw PostgresServerError.failed(reason + " (required in CI)") }
        throw XCTSkip(reason)
    }

    public init(
        server: PostgresServer, poolMode: String = "transaction", poolSize: Int = 4, maxClientConnections: Int = 100
    ) throws {
        try Self.requireInstalled()
        self.server = server
        self.poolSize = poolSize
        directory = NSTemporaryDirectory() + "otp-relay-pgb-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = try freeLoopbackPort()
        // `idle_transaction_timeout`: the server's `idle_in_transaction_session_timeout`, which the
        // node sets with `SET` per session, does not follow a client through transaction pooling.
        let ini = """
            [databases]
            * = host=127.0.0.1 port=\(server.port)
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(directory)/userlist.txt
            admin_users = postgres
            pool_mode = \(poolMode)
            default_pool_size = \(poolSize)
            max_client_conn = \(maxClientConnections)
            idle_transaction_timeout = 5
            logfile = \(directory)/pgbouncer.log
            pidfile = \(directory)/pgbouncer.pid

            """
        try ini.write(toFile: directory + "/pgbouncer.ini", atomically: true, encoding: .utf8)
        try "\"postgres\" \"\"\n".write(toFile: directory + "/userlist.txt", atomically: true, encoding: .utf8)
        let asRoot = getuid() == 0
        if asRoot, let pw = getpwnam("postgres") {
            for f in ["", "/pgbouncer.ini", "/userlist.txt"] { chown(directory + f, pw.pointee.pw_uid, pw.pointee.pw_gid) }
        }
        let argv = closingDescriptors + [Self.binary] + (asRoot ? ["-u", "postgres"] : []) + [directory + "/pgbouncer.ini"]
        pid = try spawnWithOutput(
            argv, environment: ["PATH=/usr/bin:/bin", "LC_ALL=C"], outPath: directory + "/stdout.log", ownGroup: true)
        let deadline = Date().addingTimeInterval(15)
        while (try? RawConnection(port: port)) == nil {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                throw PostgresServerError.failed("pgbouncer exited (status \(status)): \(log)")
            }
            guard Date() < deadline else {
                stop()
                throw PostgresServerError.failed("pgbouncer did not listen on \(port): \(log)")
            }
            usleep(20_000)
        }
    }

    deinit { stop() }

    /// The libpq URL of `database` through PgBouncer.
    public func url(database: String) -> String { "postgresql://postgres@127.0.0.1:\(port)/\(database)" }

    /// `url` for the database behind the server URL `serverURL` (the same name, through PgBouncer).
    public func url(for serverURL: String) -> String { url(database: String(serverURL.split(separator: "/").last ?? "")) }

    /// Rows of an admin console command (`SHOW POOLS`, `SHOW CLIENTS`), fields separated by `|`.
    public func admin(_ command: String) throws -> [String] { try server.query(url(database: "pgbouncer"), command) }

    public var log: String {
        ["/pgbouncer.log", "/stdout.log"].map { (try? String(contentsOfFile: directory + $0, encoding: .utf8)) ?? "" }.joined()
    }

    /// SIGTERM (immediate shutdown) by its pid, SIGKILL after 5 s; then the directory goes.
    public func stop() {
        if pid > 0 {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            let deadline = Date().addingTimeInterval(5)
            while waitpid(pid, &status, WNOHANG) == 0 {
                if Date() > deadline {
                    kill(pid, SIGKILL)
                    waitpid(pid, &status, 0)
                    break
                }
                usleep(20_000)
            }
            pid = 0
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
