import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A parsed HTTP response, as a test sees it on the wire.
public struct WireResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// The one raw test HTTP client: a blocking TCP connection on loopback (IPv4 or IPv6 literal) with a
/// receive timeout, for driving a server byte by byte.
/// `@unchecked Sendable`: one thread may send while another reads; only the reader touches `buffer`.
public final class RawConnection: @unchecked Sendable {
    public let fd: Int32
    private var buffer: [UInt8] = []

    public init(port: Int, host: String = "127.0.0.1", timeoutMillis: Int = 10_000) throws {
        let v6 = host.contains(":")
        fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var tv = timeval(tv_sec: timeoutMillis / 1000, tv_usec: (timeoutMillis % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var rc: Int32 = -1
        let networkPort = in_port_t(UInt16(port).bigEndian)
        if v6 {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = networkPort
            if inet_pton(AF_INET6, host, &a.sin6_addr) == 1 { rc = Self.connect(fd, to: &a) }
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = networkPort
            if inet_pton(AF_INET, host, &a.sin_addr) == 1 { rc = Self.connect(fd, to: &a) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: e) ?? .ECONNREFUSED)
        }
    }

    private static func connect<A>(_ fd: Int32, to address: inout A) -> Int32 {
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<A>.size)) }
        }
    }

    deinit { close(fd) }

    /// Half-closes our side, as a client does when it is done.
    public func finish() { shutdown(fd, Int32(SHUT_WR)) }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPIPE) }
            off += n
        }
    }

    /// Reads one response, Content-Length framed (`bodyless`: the answer to a HEAD; a `100 Continue`
    /// counts as one); nil when the connection ends (EOF, reset) or the receive timeout passes first.
    public func readResponse(bodyless: Bool = false) throws -> WireResponse? {
        while true {
            if let (resp, used) = Self.parse(buffer, bodyless: bodyless) {
                buffer.removeFirst(used)
                return resp
            }
            guard try fill() else { return nil }
        }
    }

    /// True when the server closes the connection (EOF or reset) before the receive timeout; drops
    /// what it reads meanwhile.
    public func waitForClose() -> Bool {
        buffer.removeAll()
        while true {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    /// Reads more bytes; false on EOF, reset or the receive timeout.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { return false }
        if n < 0 {
            if errno == ECONNRESET || errno == EAGAIN || errno == EWOULDBLOCK { return false }
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    static func parse(_ b: [UInt8], bodyless: Bool = false) -> (WireResponse, Int)? {
        guard let end = findHeadEnd(b) else { return nil }
        let head = String(decoding: b[0..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers: [(String, String)] = []
        for l in lines where !l.isEmpty {
            guard let c = l.firstIndex(of: ":") else { continue }
            headers.append((String(l[..<c]), l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)))
        }
        let bodyStart = end + 4
        if status == 100 || bodyless { return (WireResponse(status: status, headers: headers, body: []), bodyStart) }
        let len = Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
        guard b.count >= bodyStart + len else { return nil }
        return (WireResponse(status: status, headers: headers, body: Array(b[bodyStart..<bodyStart + len])), bodyStart + len)
    }

    static func findHeadEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }
}

/// Request builders for the webhook.
public enum WebhookRequest {
    public static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    public static func post(
        path: String = "/v1/webhooks/otp", body: String, authorization: String?,
        contentType: String? = "application/json", extraHeaders: [String] = []
    ) -> String {
        var lines = ["POST \(path) HTTP/1.1", "Host: 127.0.0.1"]
        if let authorization { lines.append("Authorization: \(authorization)") }
        if let contentType { lines.append("Content-Type: \(contentType)") }
        lines.append("Content-Length: \(body.utf8.count)")
        lines += extraHeaders
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    public static func body(identifier: String, otp: String, channel: String) -> String {
        "{\"identifier\":\"\(identifier)\",\"otp\":\"\(otp)\",\"channel\":\"\(channel)\"}"
    }

    /// One keep-alive connection sends `rounds` batches of `depth` pipelined webhooks, the body of
    /// request `i` of batch `round` being `body(first + round * 100 + i)`, and hands the id of every
    /// 200 to `accepted` as it arrives. Stops at the first answer that is not a 200 or not there
    /// (a killed server): the ids handed over are exactly the acknowledged jobs.
    public static func pipelinedBurst(
        port: Int, authorization: String, rounds: Int, depth: Int = 25, first: Int, body: (Int) -> String,
        accepted: (String) -> Void
    ) {
        guard let c = try? RawConnection(port: port) else { return }
        for round in 0..<rounds {
            let requests = (0..<depth).map { i in post(body: body(first + round * 100 + i), authorization: authorization) }
            guard (try? c.send(requests.joined())) != nil else { return }
            for _ in 0..<depth {
                guard let r = try? c.readResponse(), r.status == 200, let id = r.json?["id"] as? String else { return }
                accepted(id)
            }
        }
    }
}
