import CSystem

#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: its name and errno. Descriptions carry no request data.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    public let call: String
    public let errno: Int32
    public var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// The one funnel for system calls: retries `EINTR`, maps `EAGAIN` to `.wouldBlock`, throws
/// `SystemError` otherwise, and never retries `close`.
///
/// epoll, eventfd and accept4 are not in Swift's Glibc module; they come from the system headers
/// through the `CSystem` shim (its `static inline` wrappers keep the packed `struct epoll_event`
/// on the C side).
enum Sys {
    enum IO: Equatable {
        case done(Int)
        case wouldBlock
    }

    /// Runs `body` (a call returning -1 and setting errno on failure) until it is not interrupted.
    @inline(__always)
    static func call(_ name: StaticString, _ body: () -> Int) throws(SystemError) -> Int {
        while true {
            let r = body()
            if r >= 0 { return r }
            let e = errno
            if e == EINTR { continue }
            throw SystemError(call: name.description, errno: e)
        }
    }

    /// Like `call`, with `EAGAIN`/`EWOULDBLOCK` as `.wouldBlock` (non-blocking I/O).
    @inline(__always)
    static func io(_ name: StaticString, _ body: () -> Int) throws(SystemError) -> IO {
        while true {
            let r = body()
            if r >= 0 { return .done(r) }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            throw SystemError(call: name.description, errno: e)
        }
    }

    /// Closes once: after EINTR the descriptor is already gone on Linux, so a retry could close
    /// a descriptor another thread has just opened.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    static func read(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) throws(SystemError) -> IO {
        try io("read") { Glibc.read(fd, p, n) }
    }

    static func send(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) throws(SystemError) -> IO {
        try io("send") { Glibc.send(fd, p, n, Int32(MSG_NOSIGNAL)) }
    }

    static func accept(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr_storage>) throws(SystemError) -> IO {
        try io("accept4") {
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            return addr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                Int(csystem_accept4(fd, sa, &len, CSYSTEM_SOCK_NONBLOCK | CSYSTEM_SOCK_CLOEXEC))
            }
        }
    }

    /// Ignores SIGPIPE for the process, once; sends also pass `MSG_NOSIGNAL`.
    static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    // MARK: epoll and eventfd

    static let EPOLLIN = CSYSTEM_EPOLLIN
    static let EPOLLOUT = CSYSTEM_EPOLLOUT
    static let EPOLLERR = CSYSTEM_EPOLLERR
    static let EPOLLHUP = CSYSTEM_EPOLLHUP
    static let EPOLLRDHUP = CSYSTEM_EPOLLRDHUP
    static let EPOLLET = CSYSTEM_EPOLLET

    /// Bytes of one `struct epoll_event` (packed on x86_64), from the header.
    static let epollEventSize = Int(CSYSTEM_EPOLL_EVENT_SIZE)

    static func epollCreate() throws(SystemError) -> Int32 {
        Int32(try call("epoll_create1") { Int(epoll_create1(CSYSTEM_EPOLL_CLOEXEC)) })
    }

    static func epollAdd(_ epfd: Int32, _ fd: Int32, events: UInt32) throws(SystemError) {
        try epollCtl(epfd, CSYSTEM_EPOLL_CTL_ADD, fd, events)
    }

    static func epollDelete(_ epfd: Int32, _ fd: Int32) {
        try? epollCtl(epfd, CSYSTEM_EPOLL_CTL_DEL, fd, 0)
    }

    private static func epollCtl(_ epfd: Int32, _ op: Int32, _ fd: Int32, _ events: UInt32) throws(SystemError) {
        _ = try call("epoll_ctl") { Int(csystem_epoll_ctl(epfd, op, fd, events)) }
    }

    /// Waits for events into `buffer` (`capacity` entries of `epollEventSize` bytes).
    static func epollWait(
        _ epfd: Int32, _ buffer: UnsafeMutableRawPointer, _ capacity: Int32,
        timeoutMillis: Int32
    ) throws(SystemError) -> Int {
        // EINTR is not retried here: the loop recomputes its timeout and comes back.
        let r = csystem_epoll_wait(epfd, buffer, capacity, timeoutMillis)
        if r >= 0 { return Int(r) }
        if errno == EINTR { return 0 }
        throw SystemError(call: "epoll_wait", errno: errno)
    }

    /// The (events, fd) of entry `i` in an epoll_wait buffer.
    @inline(__always)
    static func epollEvent(_ buffer: UnsafeMutableRawPointer, _ i: Int) -> (events: UInt32, fd: Int32) {
        let i = Int32(truncatingIfNeeded: i)
        return (csystem_epoll_event_events(buffer, i), csystem_epoll_event_fd(buffer, i))
    }

    static func eventfdCreate() throws(SystemError) -> Int32 {
        Int32(try call("eventfd") { Int(eventfd(0, CSYSTEM_EFD_NONBLOCK | CSYSTEM_EFD_CLOEXEC)) })
    }

    /// Adds 1 to an eventfd counter, waking its epoll loop.
    static func eventfdSignal(_ fd: Int32) {
        var one: UInt64 = 1
        _ = try? io("write") { Glibc.write(fd, &one, MemoryLayout<UInt64>.size) }
    }

    /// Resets an eventfd counter.
    static func eventfdDrain(_ fd: Int32) {
        var value: UInt64 = 0
        _ = try? io("read") { Glibc.read(fd, &value, MemoryLayout<UInt64>.size) }
    }
}
