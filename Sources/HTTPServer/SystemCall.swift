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
/// epoll, eventfd and accept4 are not in Swift's Glibc module, so they are resolved once with
/// `dlsym` as `@convention(c)` pointers: the C ABI without a C target.
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
                Int(C.accept4(fd, sa, &len, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)))
            }
        }
    }

    /// Ignores SIGPIPE for the process, once; sends also pass `MSG_NOSIGNAL`.
    static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    // MARK: epoll and eventfd

    static let EPOLLIN: UInt32 = 0x001
    static let EPOLLOUT: UInt32 = 0x004
    static let EPOLLERR: UInt32 = 0x008
    static let EPOLLHUP: UInt32 = 0x010
    static let EPOLLRDHUP: UInt32 = 0x2000
    static let EPOLLET: UInt32 = 1 << 31
    static let EPOLL_CTL_ADD: Int32 = 1
    static let EPOLL_CTL_DEL: Int32 = 2

    /// `struct epoll_event` is packed on x86_64 (12 bytes) and naturally aligned elsewhere.
    #if arch(x86_64)
    static let epollEventSize = 12
    static let epollDataOffset = 4
    #else
    static let epollEventSize = 16
    static let epollDataOffset = 8
    #endif

    static func epollCreate() throws(SystemError) -> Int32 {
        Int32(try call("epoll_create1") { Int(C.epollCreate1(O_CLOEXEC)) })
    }

    static func epollAdd(_ epfd: Int32, _ fd: Int32, events: UInt32) throws(SystemError) {
        try epollCtl(epfd, EPOLL_CTL_ADD, fd, events)
    }

    static func epollDelete(_ epfd: Int32, _ fd: Int32) {
        try? epollCtl(epfd, EPOLL_CTL_DEL, fd, 0)
    }

    private static func epollCtl(_ epfd: Int32, _ op: Int32, _ fd: Int32, _ events: UInt32) throws(SystemError) {
        var raw: (UInt64, UInt64) = (0, 0)
        _ = try withUnsafeMutableBytes(of: &raw) { (p) throws(SystemError) -> Int in
            p.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            p.storeBytes(of: UInt64(UInt32(bitPattern: fd)), toByteOffset: epollDataOffset, as: UInt64.self)
            return try call("epoll_ctl") { Int(C.epollCtl(epfd, op, fd, p.baseAddress)) }
        }
    }

    /// Waits for events into `buffer` (`capacity` entries of `epollEventSize` bytes).
    static func epollWait(
        _ epfd: Int32, _ buffer: UnsafeMutableRawPointer, _ capacity: Int32,
        timeoutMillis: Int32
    ) throws(SystemError) -> Int {
        // EINTR is not retried here: the loop recomputes its timeout and comes back.
        let r = C.epollWait(epfd, buffer, capacity, timeoutMillis)
        if r >= 0 { return Int(r) }
        if errno == EINTR { return 0 }
        throw SystemError(call: "epoll_wait", errno: errno)
    }

    /// The (events, fd) of entry `i` in an epoll_wait buffer.
    @inline(__always)
    static func epollEvent(_ buffer: UnsafeMutableRawPointer, _ i: Int) -> (events: UInt32, fd: Int32) {
        let p = UnsafeRawPointer(buffer + i * epollEventSize)
        let events = p.loadUnaligned(as: UInt32.self)
        let data = p.loadUnaligned(fromByteOffset: epollDataOffset, as: UInt64.self)
        return (events, Int32(truncatingIfNeeded: data))
    }

    static func eventfdCreate() throws(SystemError) -> Int32 {
        Int32(try call("eventfd") { Int(C.eventfd(0, O_NONBLOCK | O_CLOEXEC)) })
    }

    /// Adds 1 to an eventfd counter, waking its epoll loop.
    static func eventfdSignal(_ fd: Int32) {
        var one: UInt64 = 1
        _ = try? io("write") { Glibc.write(fd, &one, 8) }
    }

    /// Resets an eventfd counter.
    static func eventfdDrain(_ fd: Int32) {
        var value: UInt64 = 0
        _ = try? io("read") { Glibc.read(fd, &value, 8) }
    }

    /// C entry points missing from Swift's Glibc module, resolved once.
    private enum C {
        typealias EpollCreate1 = @convention(c) (Int32) -> Int32
        typealias EpollCtl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
        typealias EpollWait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
        typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
        typealias Accept4 =
            @convention(c) (
                Int32, UnsafeMutablePointer<sockaddr>?,
                UnsafeMutablePointer<socklen_t>?, Int32
            ) -> Int32

        static let epollCreate1: EpollCreate1 = resolve("epoll_create1")
        static let epollCtl: EpollCtl = resolve("epoll_ctl")
        static let epollWait: EpollWait = resolve("epoll_wait")
        static let eventfd: EventFD = resolve("eventfd")
        static let accept4: Accept4 = resolve("accept4")

        private static func resolve<F>(_ name: String) -> F {
            guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
                fatalError("libc lacks \(name)")
            }
            return unsafeBitCast(sym, to: F.self)
        }
    }
}
