import CPostgres
import Foundation
import RelayCore
import Synchronization

/// `LISTEN otp_relay_jobs` on a connection of its own: every node's committed batch that made jobs
/// ready sends one `NOTIFY`, and this thread calls `onNotify` (which wakes the workers). After the
/// connection is lost it reconnects with backoff and calls `onNotify` once (notifications sent
/// meanwhile are gone, as they are across a failover: the workers' bounded poll covers both).
final class PGListener: Sendable {
    private let conninfo: String
    private let onNotify: @Sendable () -> Void
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)
    /// Notifications received (tests, statistics).
    let received = Atomic<Int>(0)
    /// How long one wait for the socket lasts: bounds how late `stop()` returns.
    static let pollMillis: Int32 = 200

    init(conninfo: String, logger: Logger, onNotify: @escaping @Sendable () -> Void) {
        self.conninfo = conninfo
        self.logger = logger
        self.onNotify = onNotify
    }

    func start() {
        started.store(true, ordering: .releasing)
        let t = Thread { [self] in
            run()
            done.signal()
        }
        t.name = "pg-listener"
        t.start()
    }

    func stop() {
        guard started.load(ordering: .acquiring), !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        done.wait()
    }

    private func run() {
        let connection = PGConnection(conninfo: conninfo, applicationName: "otp-relay listener")
        var wasLost = false
        while !stopping.load(ordering: .acquiring) {
            do throws(PGError) {
                if !connection.isOpen {
                    try connection.exec("LISTEN \(PGSQL.channel)")
                    if wasLost {
                        logger.info("outbox listener reconnected")
                        onNotify()
                    }
                    wasLost = false
                }
                try waitForNotifications(connection)
            } catch {
                if !wasLost { logger.warning("outbox listener lost its connection", ["error": .string(error.description)]) }
                wasLost = true
                connection.close()
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        connection.close()
    }

    private func waitForNotifications(_ connection: PGConnection) throws(PGError) {
        let conn = try connection.connection()
        var fds = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        let r = poll(&fds, 1, Self.pollMillis)
        guard r > 0 else { return }
        guard PQconsumeInput(conn) == 1 else { throw .lost(PGError.connectionMessage(conn)) }
        var n = 0
        while let note = PQnotifies(conn) {
            n += 1
            PQfreemem(note)
        }
        if PQstatus(conn) != CONNECTION_OK { throw .lost(PGError.connectionMessage(conn)) }
        if n > 0 {
            received.add(n, ordering: .relaxed)
            onNotify()
        }
    }
}
