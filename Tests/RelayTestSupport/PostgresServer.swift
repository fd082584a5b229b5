import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL from the Debian packages, in a temporary directory, on a loopback port: one
/// per test process (`shared`), stopped by its pid when the process exits. As root, `initdb` and
/// the server run as the `postgres` user (the directory is handed to it). Tests that need it skip
/// (with the reason) only when the binaries are absent: `scripts/install-deps --test` installs them.
public final class PostgresServer: @unchecked Sendable {
    public let directory: String
    public let port: Int
    public let binDirectory: String
    private let lock = NSLock()
    private var databases = 0

    /// The server of this test process, started on first use; nil when PostgreSQL is not installed.
    public static let shared: PostgresServer? = {
        guard let bin = binDirectory() else { return nil }
        do {
            let s = try PostgresServer(bin: bin)
            XCTestObservationCenter.shared.addTestObserver(StopAtBundleEnd(server: s))
            return s
        } catch {
            fatalError("PostgreSQL is installed but did not start: \(error)")
        }
    }()

    /// Why tests skip (nil when the server runs).
    public static var unavailableReason: String? {
        binDirectory() == nil ? "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): run scripts/install-deps --test" : nil
    }

    static func binDirectory() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for v in versions.reversed() {
            let bin = "\(root)/\(v)/bin"
            if FileManager.default.isExecutableFile(atPath: bin + "/initdb")
                && FileManager.default.isExecutableFile(atPath: bin + "/pg_ctl")
            {
                return bin
            }
        }
        return nil
    }

    private init(bin: String) throws {
        binDirectory = bin
        directory = NSTemporaryDirectory() + "otp-relay-pg-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = try freeLoopbackPort()
        if getuid() == 0, let pw = getpwnam("postgres") {
            chown(directory, pw.pointee.pw_uid, pw.pointee.pw_gid)
        }
        let (status, out) = try run(
            bin + "/initdb", ["-D", directory + "/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
        guard status == 0 else { throw PostgresServerError.failed("initdb: \(out)") }
        try start()
    }

    /// The server's pid (`postmaster.pid`), or nil when it is not running.
    public var pid: pid_t? {
        guard let text = try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first, let p = pid_t(first), kill(p, 0) == 0
        else { return nil }
        return p
    }

    /// Starts the server (again, after `stopImmediately`) on the same port and data directory.
    public func start() throws {
        let opts = "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory) -c max_connections=200 -c shared_buffers=64MB"
        let (status, out) = try run(
            binDirectory + "/pg_ctl", ["-D", directory + "/data", "-o", opts, "-l", directory + "/server.log", "-w", "-t", "60", "start"])
        guard status == 0 else { throw PostgresServerError.failed("pg_ctl start: \(out) \(log)") }
    }

    /// `pg_ctl stop -m immediate`: the server dies as in a crash (recovery replays its WAL on start).
    public func stopImmediately() throws {
        let (status, out) = try run(binDirectory + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        guard status == 0 else { throw PostgresServerError.failed("pg_ctl stop: \(out)") }
    }

    /// A new empty database; its libpq URL.
    public func createDatabase(prefix: String = "t") throws -> String {
        let name: String = lock.withLock {
            databases += 1
            return "\(prefix)_\(getpid())_\(databases)"
        }
        let (status, out) = try run(
            binDirectory + "/createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", name])
        guard status == 0 else { throw PostgresServerError.failed("createdb: \(out)") }
        return url(database: name)
    }

    public func url(database: String) -> String { "postgresql://postgres@127.0.0.1:\(port)/\(database)" }

    /// Runs SQL with `psql` and returns the rows (fields separated by `|`).
    public func query(_ url: String, _ sql: String) throws -> [String] {
        let (status, out) = try run(
            binDirectory + "/psql", ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql], asPostgres: false)
        guard status == 0 else { throw PostgresServerError.failed("psql: \(out)") }
        return out.split(separator: "\n").map(String.init)
    }

    public var log: String { (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? "" }

    /// At exit: SIGQUIT to the server's pid (immediate shutdown), wait for it, remove the directory.
    public func stopAtExit() {
        if let p = pid {
            kill(p, SIGQUIT)
            for _ in 0..<200 where kill(p, 0) == 0 { usleep(25_000) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs a command to its end (as `postgres` when this process is root); exit status and output.
    /// Every descriptor past stderr closed: `pg_ctl start` leaves the server running,
    /// and a server holding one of this process's descriptors (Foundation's `Process` passes one it
    /// watches for the child's end) would keep the call from returning.
    private func run(_ exe: String, _ args: [String], asPostgres: Bool = true) throws -> (Int32, String) {
        let argv =
            closingDescriptors
            + (asPostgres && getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", exe] : [exe])
            + args
        let outPath = directory + "/cmd-\(UUID().uuidString.prefix(8)).out"
        let pid = try spawnWithOutput(argv, environment: ["PATH=/usr/bin:/bin", "LC_ALL=C", "PGCONNECT_TIMEOUT=10"], outPath: outPath)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        unlink(outPath)
        let exited = status & 0x7F == 0
        return (exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F), out)
    }
}

/// Stops the server when the test bundle finishes (XCTest then exits the process).
private final class StopAtBundleEnd: NSObject, XCTestObservation {
    let server: PostgresServer
    init(server: PostgresServer) { self.server = server }
    func testBundleDidFinish(_ testBundle: Bundle) { server.stopAtExit() }
}

public enum PostgresServerError: Error {
    case failed(String)
}

/// A prefix for an argv: bash closes every descriptor past stderr, then runs (execs, same pid)
/// the command from /.
let closingDescriptors = [
    "/bin/bash", "-c",
    #"cd / && for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-" 2>/dev/null; done; exec "$@""#, "pg",
]

/// Spawns `argv` (stdin /dev/null, stdout and stderr to `outPath`); its pid. With `ownGroup` the
/// child leads a process group of its own (a test's crash or ^C does not reach it through ours).
func spawnWithOutput(_ argv: [String], environment env: [String], outPath: String, ownGroup: Bool = false) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o666)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    if ownGroup {
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, 0)
    }
    var pid: pid_t = 0
    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = env.map { strdup($0) } + [nil]
    defer {
        cArgs.forEach { free($0) }
        cEnv.forEach { free($0) }
    }
    let rc = posix_spawn(&pid, argv[0], &actions, &attr, cArgs, cEnv)
    guard rc == 0 else { throw PostgresServerError.failed("posix_spawn \(argv[0]): \(String(cString: strerror(rc)))") }
    return pid
}
