import Dispatch
import Foundation
import RelayCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The sd_notify(3) protocol without libsystemd, for `Type=notify` units: `READY=1` once every
/// component started, `STOPPING=1` when shutdown begins, and `WATCHDOG=1` every half
/// `WATCHDOG_USEC` while `alive()` holds (the outbox writer answers and the worker pool runs), so a
/// wedged writer or a dead pool stops the feeding and systemd restarts the service. Datagrams to
/// `$NOTIFY_SOCKET`: a path, or an abstract socket name written with a leading '@'.
///
/// The last component of the service's `ServiceGroup`: started after the pool (ready means
/// delivering), shut down first (systemd hears STOPPING=1 before the drain).
public final class SystemdNotifier: LifecycleComponent, Sendable {
    /// What the environment asks for; nil when `NOTIFY_SOCKET` is unset (not run by systemd).
    public struct Settings: Sendable, Equatable {
        public var socket: String
        /// `WATCHDOG_USEC`, when set for this process (`WATCHDOG_PID` absent or ours).
        public var watchdog: Duration?

        public init?(environment: [String: String], pid: Int32 = getpid()) {
            guard let s = environment["NOTIFY_SOCKET"], !s.isEmpty else { return nil }
            socket = s
            watchdog = nil
            if let v = environment["WATCHDOG_USEC"], let usec = Int64(v), usec > 0,
                environment["WATCHDOG_PID"].map({ Int32($0) == pid }) ?? true
            {
                watchdog = .microseconds(usec)
            }
        }
    }

    public let lifecycleName = "systemd notify"
    public let settings: Settings
    private let alive: @Sendable () -> Bool
    private let logger: Logger
    private let fd: Int32
    private let address: [UInt8]
    private let stop = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    /// Watchdog pings sent (tests and logs).
    public let watchdogPings = Atomic<Int>(0)

    public init(settings: Settings, logger: Logger, alive: @escaping @Sendable () -> Bool) {
        self.settings = settings
        self.alive = alive
        self.logger = logger
        address = Self.socketAddress(settings.socket) ?? []
        let s = address.isEmpty ? -1 : socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        if s >= 0 { _ = fcntl(s, F_SETFD, FD_CLOEXEC) }
        fd = s
        if address.isEmpty { logger.warning("NOTIFY_SOCKET is neither a path nor an abstract name; not notifying systemd") }
    }

    deinit { if fd >= 0 { close(fd) } }

    public func start() throws {
        _ = send("READY=1\nSTATUS=serving\nMAINPID=\(getpid())")
        guard let w = settings.watchdog else { return }
        // Twice per interval, as sd_watchdog_enabled(3) advises; at most every 10 ms.
        let every = max(w / 2, .milliseconds(10))
        let thread = Thread { [self] in feed(every: every) }
        thread.name = "systemd-watchdog"
        thread.start()
        logger.info("systemd watchdog on", ["interval_ms": .int(w.wholeMilliseconds)])
    }

    public func shutdown(by deadline: Deadline) -> Bool {
        stopping.store(true, ordering: .relaxed)
        stop.signal()
        _ = send("STOPPING=1\nSTATUS=draining")
        return true
    }

    private func feed(every: Duration) {
        var starved = false
        while !stopping.load(ordering: .relaxed) {
            if alive() {
                if !stopping.load(ordering: .relaxed), send("WATCHDOG=1") { watchdogPings.add(1, ordering: .relaxed) }
                if starved { logger.info("systemd watchdog fed again") }
                starved = false
            } else if !starved {
                starved = true
                logger.error("systemd watchdog not fed: the outbox writer or the delivery workers are not alive")
            }
            if stop.wait(timeout: .now() + .nanoseconds(Int(every.wholeMilliseconds) * 1_000_000)) == .success { return }
        }
    }

    /// One datagram; false when it could not be sent (logged).
    @discardableResult
    func send(_ message: String) -> Bool {
        guard fd >= 0 else { return false }
        let bytes = Array(message.utf8)
        let n = address.withUnsafeBytes { a in
            bytes.withUnsafeBytes { b in
                sendto(
                    fd, b.baseAddress, b.count, Int32(MSG_NOSIGNAL),
                    a.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(a.count))
            }
        }
        if n != bytes.count {
            logger.warning("systemd notify failed", ["errno": .int(Int64(errno))])
            return false
        }
        return true
    }

    /// A `sockaddr_un` for `name` as bytes, sized as the kernel wants it: a path with its NUL, an
    /// abstract name ('@' becomes the leading NUL) without one. Nil when it is neither or too long.
    static func socketAddress(_ name: String) -> [UInt8]? {
        var path = Array(name.utf8)
        guard let first = path.first, first == UInt8(ascii: "/") || first == UInt8(ascii: "@") else { return nil }
        if first == UInt8(ascii: "@") { path[0] = 0 } else { path.append(0) }
        var sun = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: sun.sun_path)
        guard path.count <= capacity else { return nil }
        sun.sun_family = sa_family_t(AF_UNIX)
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        var out = withUnsafeBytes(of: &sun) { Array($0.prefix(offset)) }
        out += path
        return out
    }
}
