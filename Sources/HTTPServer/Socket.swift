#if canImport(Glibc)
import Glibc
#endif

/// Socket set-up: the listening socket, per-connection options and address text.
enum Socket {
    /// A bound, listening, non-blocking TCP socket for an IPv4 or IPv6 literal host.
    static func listen(host: String, port: Int, backlog: Int) throws -> (fd: Int32, port: Int) {
        guard (0...65535).contains(port) else { throw HTTPServerError.invalidAddress(host: host, port: port) }
        var storage = sockaddr_storage()
        let (family, length) = try address(host: host, port: port, into: &storage)
        let fd = Int32(
            try Sys.call("socket") {
                Int(Glibc.socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0))
            })
        do {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            _ = try withUnsafePointer(to: &storage) { p in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try Sys.call("bind") { Int(Glibc.bind(fd, sa, length)) }
                }
            }
            _ = try Sys.call("listen") { Int(Glibc.listen(fd, Int32(backlog))) }
            return (fd, try localPort(fd))
        } catch {
            Sys.close(fd)
            throw error
        }
    }

    /// Options every accepted connection gets: no Nagle delay for small responses, and a bounded
    /// kernel send buffer (`sendBufferBytes`; 0: the kernel's autotuning).
    static func configureAccepted(_ fd: Int32, sendBufferBytes: Int) {
        try? setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        if sendBufferBytes > 0 { try? setOption(fd, SOL_SOCKET, SO_SNDBUF, Int32(clamping: sendBufferBytes)) }
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var v = value
        _ = try Sys.call("setsockopt") { Int(setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))) }
    }

    /// Fills `storage` for `host` (brackets allowed around IPv6; `localhost` means 127.0.0.1).
    static func address(host: String, port: Int, into storage: inout sockaddr_storage) throws -> (Int32, socklen_t) {
        var h = host
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h == "localhost" { h = "127.0.0.1" }
        let networkPort = in_port_t(UInt16(port).bigEndian)
        var v4 = in_addr()
        if inet_pton(AF_INET, h, &v4) == 1 {
            return (
                AF_INET,
                fill(&storage, as: sockaddr_in.self) {
                    $0.sin_family = sa_family_t(AF_INET)
                    $0.sin_port = networkPort
                    $0.sin_addr = v4
                }
            )
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, h, &v6) == 1 {
            return (
                AF_INET6,
                fill(&storage, as: sockaddr_in6.self) {
                    $0.sin6_family = sa_family_t(AF_INET6)
                    $0.sin6_port = networkPort
                    $0.sin6_addr = v6
                }
            )
        }
        throw HTTPServerError.invalidAddress(host: host, port: port)
    }

    /// Writes an address of type `A` at the start of `storage`; its length.
    private static func fill<A>(_ storage: inout sockaddr_storage, as: A.Type, _ set: (inout A) -> Void) -> socklen_t {
        withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: A.self, capacity: 1) { set(&$0.pointee) }
        }
        return socklen_t(MemoryLayout<A>.size)
    }

    static func localPort(_ fd: Int32) throws(SystemError) -> Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { (p) throws(SystemError) -> Int in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (sa) throws(SystemError) -> Int in
                try Sys.call("getsockname") { Int(getsockname(fd, sa, &len)) }
            }
        }
        return withUnsafePointer(to: &storage) { p in
            if Int32(p.pointee.ss_family) == AF_INET6 {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    /// The IP address of `storage` as text, without port; IPv4-mapped IPv6 becomes plain IPv4.
    static func addressText(_ storage: UnsafePointer<sockaddr_storage>) -> String {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var a = sin.pointee.sin_addr
                _ = inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count))
            }
        case AF_INET6:
            storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                var a = sin6.pointee.sin6_addr
                let bytes = withUnsafeBytes(of: &a) { Array($0) }
                if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                    var v4 = in_addr()
                    withUnsafeMutableBytes(of: &v4) { $0.copyBytes(from: bytes[12..<16]) }
                    _ = inet_ntop(AF_INET, &v4, &buf, socklen_t(buf.count))
                } else {
                    _ = inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
                }
            }
        default:
            return ""
        }
        return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

/// Why an `HTTPServer` could not start.
public enum HTTPServerError: Error, Sendable, CustomStringConvertible {
    case invalidAddress(host: String, port: Int)
    case alreadyStarted
    case system(SystemError)

    public var description: String {
        switch self {
        case .invalidAddress(let h, let p): "not an IP literal host and port: \(h) \(p)"
        case .alreadyStarted: "the server was already started"
        case .system(let e): e.description
        }
    }
}
