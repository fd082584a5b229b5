import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real AF_UNIX datagram socket standing in for systemd's `$NOTIFY_SOCKET`: bound to a path in a
/// test directory, or to an abstract name (`@name`); collects the datagrams the service sends.
public final class NotifySocket {
    public let name: String
    private let fd: Int32

    /// Binds `name` ("/path" or "@abstract").
    public init(name: String) throws {
        self.name = name
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var sun = sockaddr_un()
        sun.sun_family = sa_family_t(AF_UNIX)
        var path = Array(name.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        withUnsafeMutableBytes(of: &sun.sun_path) { p in for (i, b) in path.enumerated() { p[i] = b } }
        let len = socklen_t(offset + path.count + (path.first == 0 ? 0 : 1))
        let rc = withUnsafePointer(to: &sun) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard rc == 0 else {
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL)
        }
    }

    deinit {
        close(fd)
        if name.hasPrefix("/") { unlink(name) }
    }

    /// The next datagram within `timeoutSeconds`, or nil.
    public func receive(timeoutSeconds: Double) -> String? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeoutSeconds * 1000)) > 0 else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buf, buf.count, 0)
        return n < 0 ? nil : String(decoding: buf[..<n], as: UTF8.self)
    }

    /// Datagrams received until one satisfies `stop` (included) or `timeoutSeconds` pass.
    public func receive(until stop: (String) -> Bool, timeoutSeconds: Double) -> [String] {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var got: [String] = []
        while Date() < deadline {
            guard let m = receive(timeoutSeconds: max(0.01, deadline.timeIntervalSinceNow)) else { break }
            got.append(m)
            if stop(m) { break }
        }
        return got
    }
}
