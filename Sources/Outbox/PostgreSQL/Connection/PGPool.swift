import Dispatch
import Synchronization

/// A fixed number of connections shared by threads (claims, finishes, leases, operator reads):
/// a caller takes one for one call and gives it back, waiting at most `waitTimeout` for one to be
/// free (then `.unavailable`). Connections are opened lazily and reopened by `PGConnection` after a
/// failure, so the pool never holds more than `size` sessions on the server.
final class PGPool: Sendable {
    let size: Int
    private let idle: Mutex<[PGConnection]>
    private let free: DispatchSemaphore
    private let waitTimeout: Duration
    private let closed = Atomic<Bool>(false)

    init(
        conninfo: String, size: Int, applicationName: String, waitTimeout: Duration = .seconds(5), sessionSetup: [String] = []
    ) {
        self.size = max(1, size)
        idle = Mutex(
            (0..<max(1, size)).map { _ in
                PGConnection(conninfo: conninfo, applicationName: applicationName, sessionSetup: sessionSetup)
            })
        free = DispatchSemaphore(value: max(1, size))
        self.waitTimeout = waitTimeout
    }

    /// Runs `body` on a free connection; a transaction `body` left open is rolled back.
    func with<T>(_ body: (PGConnection) throws(PGError) -> T) throws(PGError) -> T {
        guard !closed.load(ordering: .acquiring) else { throw .lost("store closed") }
        let ms = Int(waitTimeout.components.seconds * 1000)
        guard free.wait(timeout: .now() + .milliseconds(ms)) == .success else {
            throw PGError(sqlState: nil, message: "all \(size) store connections busy", connectionLost: false)
        }
        let conn = idle.withLock { $0.removeLast() }
        defer {
            conn.rollbackIfNeeded()
            if closed.load(ordering: .acquiring) { conn.close() }
            idle.withLock { $0.append(conn) }
            free.signal()
        }
        return try body(conn)
    }

    /// Closes the idle connections; ones in use close when given back.
    func close() {
        closed.store(true, ordering: .releasing)
        idle.withLock { list in list.forEach { $0.close() } }
    }
}
