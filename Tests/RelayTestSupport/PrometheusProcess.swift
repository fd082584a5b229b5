import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real Prometheus (Debian's `prometheus`) on a loopback port, with a configuration the test
/// writes and its data in the test's directory; output to a file (never a pipe), stopped by its
/// pid (SIGTERM, then SIGKILL).
public final class PrometheusProcess {
    public static let binary = "/usr/bin/prometheus"
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    public let process = Process()
    public let port: Int
    public let directory: String

    /// `config` is prometheus.yml's text.
    public init(directory: String, config: String) throws {
        self.directory = directory
        port = try freeLoopbackPort()
        try config.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [
            "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ]
        FileManager.default.createFile(atPath: directory + "/prometheus.log", contents: nil)
        let log = FileHandle(forWritingAtPath: directory + "/prometheus.log")
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
    }

    public var log: String { (try? String(contentsOfFile: directory + "/prometheus.log", encoding: .utf8)) ?? "" }

    /// GET `path` through curl (Prometheus answers chunked); the decoded JSON object, nil when none.
    public func get(_ path: String, query: String? = nil) throws -> [String: Any]? {
        var args = ["-sS", "--max-time", "10", "-G", "http://127.0.0.1:\(port)\(path)"]
        if let query { args += ["--data-urlencode", "query=" + query] }
        let (status, out, _) = try runCommand("/usr/bin/curl", args)
        guard status == 0 else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any]
    }

    /// `/api/v1/query` for `promql`.
    public func query(_ promql: String) throws -> [String: Any]? { try get("/api/v1/query", query: promql) }

    /// Waits until `/-/ready` answers 200 or the process exits.
    public func waitUntilReady(timeoutSeconds: Double = 30) throws {
        try process.waitUntil(timeoutSeconds: timeoutSeconds, every: 0.1, log: { log }) {
            guard let c = try? RawConnection(port: port), (try? c.send("GET /-/ready HTTP/1.1\r\nHost: x\r\n\r\n")) != nil
            else { return false }
            return (try? c.readResponse())??.status == 200
        }
    }

    public func stop() { process.stop(with: SIGTERM, grace: 10) }

    deinit { stop() }
}
