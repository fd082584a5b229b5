import Dispatch
import Synchronization
import XCTest

@testable import HTTPServer

#if canImport(Glibc)
import Glibc
#endif

/// A response as read off the wire by `TestClient`.
struct WireResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// A blocking loopback client with a receive timeout, speaking raw bytes.
/// `@unchecked Sendable`: one thread may send while another reads; only the reader touches
/// `pending`.
final class TestClient: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int, host: String = "127.0.0.1", timeoutMillis: Int = 5000) throws {
        var storage = sockaddr_storage()
        let (family, length) = try Socket.address(host: host, port: port, into: &storage)
        fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SystemError(call: "socket", errno: errno) }
        var tv = timeval(tv_sec: timeoutMillis / 1000, tv_usec: (timeoutMillis % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw SystemError(call: "connect", errno: e)
        }
    }

    deinit { Glibc.close(fd) }

    /// Half-closes our side, as a client does when it is done.
    func finish() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    /// Reads more bytes; false on EOF, reset or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16384)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        if n <= 0 { return false }
        pending.append(contentsOf: chunk[0..<n])
        return true
    }

    /// The next response (a `100 Continue` counts as one); nil if the connection ends first.
    func readResponse(bodyless: Bool = false) -> WireResponse? {
        var headEnd: Int?
        while true {
            if pending.count >= 4 {
                for i in 0...(pending.count - 4)
                where pending[i] == 13 && pending[i + 1] == 10
                    && pending[i + 2] == 13 && pending[i + 3] == 10
                {
                    headEnd = i
                    break
                }
            }
            if headEnd != nil { break }
            guard fill() else { return nil }
        }
        let lines = String(decoding: pending[0..<headEnd!], as: UTF8.self).components(separatedBy: "\r\n")
        pending.removeFirst(headEnd! + 4)
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let length = bodyless ? 0 : headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        while pending.count < length {
            guard fill() else { return nil }
        }
        let body = Array(pending[0..<length])
        pending.removeFirst(length)
        return WireResponse(status: status, headers: headers, body: body)
    }

    /// True when the server closes (EOF or reset) before the receive timeout; drops data read.
    func waitForClose() -> Bool {
        pending.removeAll()
        while true {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }
}

/// Answers at once with `method path body`; paths under `/reject` are refused in `head`.
struct EchoHandler: HTTPHandler {
    func head(_ head: HTTPRequestHead) -> HTTPResponse? {
        head.path.hasPrefix("/reject") ? HTTPResponse(status: 401, headers: [("WWW-Authenticate", "Basic")], text: "no") : nil
    }

    func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        respond(
            HTTPResponse(
                status: 200, headers: [("Content-Type", "text/plain")],
                text: "\(request.method) \(request.head.target) \(request.bodyText)"))
    }

    func rejection(_ r: HTTPRejection) -> HTTPResponse {
        HTTPResponse(
            status: r.status, headers: [("Content-Type", "application/json")],
            text: "{\"error\":\"\(r.status)\"}")
    }
}

/// Responds from another thread after `X-Delay` milliseconds (default 0).
struct AsyncHandler: HTTPHandler {
    let queue = DispatchQueue(label: "async-handler", attributes: .concurrent)

    func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let delay = request.headers["X-Delay"].flatMap { Int($0) } ?? 0
        let text = "\(request.method) \(request.head.target) \(request.bodyText)"
        queue.asyncAfter(deadline: .now() + .milliseconds(delay)) {
            respond(HTTPResponse(status: 200, text: text))
        }
    }
}

class ServerTestCase: XCTestCase {
    var servers: [HTTPServer] = []

    func startServer(
        _ handler: any HTTPHandler = EchoHandler(),
        configure: (inout HTTPServerConfiguration) -> Void = { _ in }
    ) throws -> HTTPServer {
        var config = HTTPServerConfiguration(port: 0)
        configure(&config)
        let server = HTTPServer(configuration: config, handler: handler)
        try server.start()
        servers.append(server)
        return server
    }

    func client(_ server: HTTPServer, timeoutMillis: Int = 5000) throws -> TestClient {
        try TestClient(port: server.port, host: server.configuration.host, timeoutMillis: timeoutMillis)
    }

    override func tearDown() {
        for s in servers { s.shutdown(by: .now + .milliseconds(1000)) }
        servers = []
        super.tearDown()
    }
}

func get(_ path: String, _ extra: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: t\r\n\(extra)\r\n"
}

func post(_ path: String, _ body: String, _ extra: String = "") -> String {
    "POST \(path) HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)"
}

func millisSince(_ start: UInt64) -> Int {
    Int((DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
}
