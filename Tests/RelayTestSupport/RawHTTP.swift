import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A parsed HTTP response, as a test sees it on the wire.
public struct WireResponse: Sendable {
    public let status: Int
    public let headers: [(String, String)]
    public let body: [UInt8]
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A raw TCP connection on loopback for driving the server byte by byte.
public final class RawConnection {
    public let fd: Int32
    private var buffer: [UInt8] = []

    public init(port: Int, host: String = "127.0.0.1", timeoutSeconds: Int = 10) throws {
        let v6 = host.contains(":")
        fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var rc: Int32
        if v6 {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &a.sin6_addr)
            rc = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &a.sin_addr)
            rc = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard rc == 0 else { close(fd); throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED) }
    }

    deinit { close(fd) }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPIPE) }
            off += n
        }
    }

    /// Reads one response (Content-Length framed); nil when the server closed first.
    public func readResponse() throws -> WireResponse? {
        while true {
            if let (resp, used) = Self.parse(buffer) {
                buffer.removeFirst(used)
                return resp
            }
            guard try fill() else { return nil }
        }
    }

    /// True when the server has closed the connection (reads EOF or reset) within the timeout.
    public func isClosedByPeer() -> Bool {
        while true {
            do { if try !fill() { return true } } catch { return true }
        }
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { return false }
        if n < 0 {
            if errno == ECONNRESET { return false }
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    static func parse(_ b: [UInt8]) -> (WireResponse, Int)? {
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
        if status == 100 { return (WireResponse(status: 100, headers: headers, body: []), bodyStart) }
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
}
