import Foundation

/// A helper process from Tests/Support (a Python fake), started for one test.
/// It prints "PORT <n>" when ready and exits when its stdin closes or on `stop()`.
public final class FakeProcess {
    public let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    public private(set) var port = 0

    public static var supportDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support")
    }

    public init(script: String, arguments: [String] = [], timeoutSeconds: Double = 15) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [FakeProcess.supportDirectory.appendingPathComponent(script).path] + arguments
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        try process.run()
        let line = try readLine(timeoutSeconds: timeoutSeconds)
        guard line.hasPrefix("PORT "), let p = Int(line.dropFirst(5)) else {
            stop()
            throw NSError(domain: "FakeProcess", code: 1, userInfo: [NSLocalizedDescriptionKey: "bad start line: \(line)"])
        }
        port = p
    }

    private func readLine(timeoutSeconds: Double) throws -> String {
        let fd = stdoutPipe.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var bytes: [UInt8] = []
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            var b: UInt8 = 0
            let n = read(fd, &b, 1)
            if n <= 0 { break }
            if b == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(b)
        }
        stop()
        throw NSError(
            domain: "FakeProcess", code: 2, userInfo: [NSLocalizedDescriptionKey: "no start line from \(process.arguments?.first ?? "")"])
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
