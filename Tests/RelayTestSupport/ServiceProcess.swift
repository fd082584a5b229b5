import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The real `otp-relay` binary, run as a child process on loopback ports chosen by the kernel.
public final class ServiceProcess {
    public let process = Process()
    public let stderrPath: String
    public let stdoutPath: String
    public private(set) var publicPort = 0
    public private(set) var adminPort = 0
    /// The auth listener's port (`auth_listen`); 0 when it is off.
    public private(set) var authPort = 0

    /// The directory holding the built products (the test bundle's directory).
    public static var productsDirectory: String {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // swift-corelibs-xctest runs `<products>/<name>PackageTests.xctest`.
        return exe.path
    }

    /// The built `otp-relay`, or `OTP_RELAY_TEST_BINARY` (e.g. a release build, for figures).
    public static var binary: String {
        ProcessInfo.processInfo.environment["OTP_RELAY_TEST_BINARY"] ?? productsDirectory + "/otp-relay"
    }

    /// Starts `otp-relay <arguments>` with `environment` added to a minimal one.
    public init(arguments: [String] = ["serve"], environment: [String: String], directory: String) throws {
        stderrPath = directory + "/stderr-\(UUID().uuidString.prefix(6)).log"
        stdoutPath = directory + "/stdout-\(UUID().uuidString.prefix(6)).log"
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        var env = ["PATH": "/usr/bin:/bin", "OTP_RELAY_LISTEN": "127.0.0.1:0", "OTP_RELAY_ADMIN_LISTEN": "127.0.0.1:0"]
        // Under scripts/sanitize the child binary is instrumented too: give it the same options.
        for k in ["TSAN_OPTIONS", "ASAN_OPTIONS", "LSAN_OPTIONS", "SWIFT_BACKTRACE"] {
            if let v = ProcessInfo.processInfo.environment[k] { env[k] = v }
        }
        env.merge(environment) { $1 }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        try process.run()
    }

    /// Waits for the "listening" log line and reads the ports from it.
    public func waitUntilListening(timeoutSeconds: Double = 20) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            for line in stderr.split(separator: "\n") where line.contains("\"msg\":\"listening\"") {
                if let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                    publicPort = Self.port(obj["public"])
                    adminPort = Self.port(obj["admin"])
                    authPort = Self.port(obj["auth"])
                    if publicPort > 0 { return }
                }
            }
            if !process.isRunning { throw ServiceProcessError.exited(process.terminationStatus, stderr) }
            usleep(20_000)
        }
        throw ServiceProcessError.timeout(stderr)
    }

    static func port(_ v: Any?) -> Int {
        guard let s = v as? String, let c = s.lastIndex(of: ":") else { return 0 }
        return Int(s[s.index(after: c)...]) ?? 0
    }

    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }

    public func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult
    public func terminate(timeoutSeconds: Double = 30) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        signal(SIGTERM)
        return waitForExit(timeoutSeconds: timeoutSeconds)
    }

    public func killNow() {
        guard process.isRunning else { return }
        signal(SIGKILL)
        _ = waitForExit(timeoutSeconds: 10)
    }

    @discardableResult
    public func waitForExit(timeoutSeconds: Double) -> Int32 {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
}

public enum ServiceProcessError: Error {
    case exited(Int32, String)
    case timeout(String)
}

/// Runs the `sqlite3` CLI against a database file and returns its output lines.
public func sqliteQuery(_ db: String, _ sql: String) throws -> [String] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    p.arguments = ["-readonly", "-batch", db, sql]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
}

/// Runs a command and returns its exit status and stdout+stderr.
public func runCommand(
    _ path: String, _ args: [String], environment: [String: String] = [:],
    directory: String? = nil, stdin: String? = nil
) throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    var env = ["PATH": "/usr/bin:/bin"]
    env.merge(environment) { $1 }
    p.environment = env
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? inp.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
