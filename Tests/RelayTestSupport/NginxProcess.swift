import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real nginx on loopback: `nginx -p DIR -c DIR/nginx.conf -g 'daemon off; pid DIR/nginx.pid;'`
/// with a configuration the test writes, stopped by its pid (SIGQUIT, then SIGKILL).
public final class NginxProcess {
    public static let binary = "/usr/sbin/nginx"
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    public let directory: String
    public let process = Process()

    /// `httpBlock` is the inside of `http { … }`; temp paths and logs are set to `directory`.
    public init(directory: String, httpBlock: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
        let user = geteuid() == 0 ? "user root root;\n" : ""
        let conf = """
            \(user)worker_processes 1;
            error_log \(directory)/error.log warn;
            events { worker_connections 512; }
            http {
                access_log off;
                client_body_temp_path \(directory)/tmp/body;
                proxy_temp_path \(directory)/tmp/proxy;
                fastcgi_temp_path \(directory)/tmp/fastcgi;
                uwsgi_temp_path \(directory)/tmp/uwsgi;
                scgi_temp_path \(directory)/tmp/scgi;
            \(httpBlock)
            }

            """
        try conf.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [
            "-p", directory, "-e", directory + "/error.log", "-c", directory + "/nginx.conf",
            "-g", "daemon off; pid \(directory)/nginx.pid;",
        ]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
    }

    public var errorLog: String { (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? "" }

    /// Waits until `port` accepts connections (nginx is up) or the process exits.
    public func waitUntilListening(port: Int, timeoutSeconds: Double = 15) throws {
        try process.waitUntil(timeoutSeconds: timeoutSeconds, every: 0.02, log: { errorLog }) {
            (try? RawConnection(port: port)) != nil
        }
    }

    /// Graceful stop by the master's pid, then SIGKILL after 5 s.
    public func stop() { process.stop(with: SIGQUIT, grace: 5) }

    deinit { stop() }
}

/// A loopback port nobody listens on right now (bound to 0 and released).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}
