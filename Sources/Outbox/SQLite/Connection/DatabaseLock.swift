import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The owner's lock on a database file: an exclusive `flock` on `<database>.lock`, taken without
/// waiting and held until `release()` or the process ends (the kernel drops it when the process
/// dies, even by SIGKILL, so a crash never leaves it behind). Only the owner (`serve`) takes it;
/// operator commands go through SQLite's own locking. A lock file of its own, never the database
/// file: closing any descriptor of the database file would drop SQLite's POSIX locks on it.
/// The file holds the owner's pid (for the message a second owner prints) and is never deleted
/// (deleting a lock file lets two processes each lock a different inode).
final class DatabaseLock: Sendable {
    let path: String
    private let fd: Atomic<Int32>

    /// Takes the lock or throws `.startup` naming the file and, when it can be read, the pid
    /// holding it.
    init(databasePath: String) throws(OutboxError) {
        let path = databasePath + ".lock"
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw OutboxError.startup("cannot open the lock file \(path): errno \(errno)")
        }
        var rc: Int32
        repeat { rc = flock(fd, LOCK_EX | LOCK_NB) } while rc != 0 && errno == EINTR
        guard rc == 0 else {
            let e = errno
            let holder = DatabaseLock.readPid(fd)
            close(fd)
            if e == EWOULDBLOCK {
                let who = holder.map { "process \($0)" } ?? "another process"
                throw OutboxError.startup(
                    "\(databasePath) is in use by \(who) (lock \(path)): one otp-relay serve per database file")
            }
            throw OutboxError.startup("cannot lock \(path): errno \(e)")
        }
        self.fd = Atomic(fd)
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    private static func readPid(_ fd: Int32) -> Int32? {
        var buf = [UInt8](repeating: 0, count: 32)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return Int32(String(decoding: buf[0..<n].prefix { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self))
    }

    /// Drops the lock (after the store's connections are closed); idempotent.
    func release() {
        let old = fd.exchange(-1, ordering: .acquiringAndReleasing)
        if old >= 0 { close(old) }  // closing the descriptor releases the flock
    }

    deinit { release() }
}
