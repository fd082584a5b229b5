import Foundation

/// A helper process from Tests/Support (a Python fake), started for one test.
/// It prints "PORT <n>" when ready and exits when its stdin closes or on `stop()`.
final class FakeProcess {
    let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private(set) var port = 0

    static var supportDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support")
    }

    init(script: String, arguments: [String] = [], timeoutSeconds: Double = 15) throws {
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
        throw NSError(domain: "FakeProcess", code: 2, userInfo: [NSLocalizedDescriptionKey: "no start line from \(process.arguments?.first ?? "")"])
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// A fresh temporary directory per test, removed at the end.
final class TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("otp-relay-delivery-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Reads a JSON-lines file written by a fake.
func readJSONLines(_ path: String) -> [[String: Any]] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI.
func makeSelfSignedCertificate(in dir: TempDir) throws -> (cert: String, key: String) {
    let cert = dir.path("cert.pem"), key = dir.path("key.pem")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    p.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                   "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                   "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw NSError(domain: "openssl", code: Int(p.terminationStatus))
    }
    return (cert, key)
}
