import SIMASID

#if canImport(Glibc)
import Glibc
#endif

/// A minimal blocking HTTP/1.1 GET over a loopback TCP socket, for the fake IdP's control
/// endpoints and as a transport that does not depend on libcurl. `http://127.0.0.1:PORT/…` only.
struct LoopbackTransport: TokenHTTPTransport {
    var timeoutSeconds = 5

    func get(_ url: String, headers: [(name: String, value: String)]) throws(TokenTransportError) -> TokenHTTPResponse {
        let prefix = "http://127.0.0.1:"
        guard url.hasPrefix(prefix) else { throw TokenTransportError("not a loopback URL: \(url)") }
        let rest = url.dropFirst(prefix.count)
        let portText = rest.prefix(while: { $0.isNumber })
        guard let port = UInt16(portText) else { throw TokenTransportError("no port in \(url)") }
        let path = rest.dropFirst(portText.count)

        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TokenTransportError("socket: errno \(errno)") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw TokenTransportError("connect to port \(port): errno \(errno)") }

        var request = "GET \(path.isEmpty ? "/" : String(path)) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for h in headers { request += "\(h.name): \(h.value)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; throw TokenTransportError("send: errno \(errno)") }
            sent += n
        }
        var response = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 16384)
        while response.count < 4 << 20 {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { if errno == EINTR { continue }; throw TokenTransportError("recv: errno \(errno)") }
            if n == 0 { break }
            response.append(contentsOf: chunk[0..<n])
        }
        return try Self.parse(response)
    }

    private static func parse(_ raw: [UInt8]) throws(TokenTransportError) -> TokenHTTPResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0...max(0, raw.count - 4)).first(where: { raw.count >= 4 && Array(raw[$0..<($0 + 4)]) == separator }) else {
            throw TokenTransportError("no complete response head")
        }
        let head = String(decoding: raw[0..<end], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TokenTransportError("bad status line") }
        var headers: [(name: String, value: String)] = []
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop(while: { $0 == " " }))))
        }
        return TokenHTTPResponse(status: status, headers: headers, body: Array(raw[(end + 4)...]))
    }
}
