import Foundation

/// `Tests/Support/sqekyc/fake_sqekyc.py` on a free loopback port: the partner's shapes, a record
/// of every request, and failures scripted through its stdin (each command acknowledged).
public final class SQEKYCFake {
    public static let clientID = "nanovest"
    public static let clientSecret = "sqekyc-test-secret-7731"

    public let port: Int
    public let requestsFile: String
    private let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public init(clientID: String = clientID, clientSecret: String = clientSecret) throws {
        requestsFile = NSTemporaryDirectory() + "sqekyc-requests-\(UUID().uuidString).jsonl"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support/sqekyc/fake_sqekyc.py").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, "--out", requestsFile, "--client-id", clientID, "--client-secret", clientSecret]
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        try process.run()
        let line = Self.readLine(stdoutPipe.fileHandleForReading.fileDescriptor)
        guard line.hasPrefix("PORT "), let p = Int(line.dropFirst(5)) else {
            process.terminate()
            throw NSError(domain: "SQEKYCFake", code: 1, userInfo: [NSLocalizedDescriptionKey: "no port: \(line)"])
        }
        port = p
    }

    deinit {
        try? stdinPipe.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: requestsFile)
    }

    /// One line from the fake's stdout, waiting at most 15 s.
    private static func readLine(_ fd: Int32) -> String {
        let deadline = Date().addingTimeInterval(15)
        var bytes: [UInt8] = []
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            var b: UInt8 = 0
            guard read(fd, &b, 1) == 1 else { break }
            if b == UInt8(ascii: "\n") { break }
            bytes.append(b)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Sends one control command and waits for its "OK".
    public func control(_ command: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: command)
        stdinPipe.fileHandleForWriting.write(data + Data("\n".utf8))
        precondition(Self.readLine(stdoutPipe.fileHandleForReading.fileDescriptor) == "OK", "fake_sqekyc.py did not acknowledge")
    }

    /// The next answers, in order: e.g. `["status": 503, "retry_after": "2"]`, `["delay_ms": 2000]`.
    public func fail(_ plans: [[String: Any]]) { control(["fail": plans]) }

    /// Every `/v1` request so far: method, path, headers (lower-cased names), body.
    public func requests() -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: requestsFile) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// `Basic base64(id:secret)`.
    public static func basic(_ id: String = clientID, _ secret: String = clientSecret) -> String {
        "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
    }
}
