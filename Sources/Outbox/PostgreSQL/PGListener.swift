import CPostgres
import Foundation
import RelayCore
import Synchronization

/// `LISTEN otp_relay_jobs` on a connection of its own: every node's committed batch that made jobs
/// ready sends one `NOTIFY`, and this thread calls `onNotify` (which wakes the workers). After the
/// connection is lost it reconnects with backoff and calls `onNotify` once (notifications sent
/// meanwhile are gone, as they are across a failover: the workers' bounded poll covers both).
///
/// Through a PgBouncer in transaction mode the listener's server session goes back to the pool
/// after `LISTEN`: nothing reaches the listener, and the session, still listening, hands the
/// notifications to whichever client it serves next. So before `LISTEN` the listener checks that
/// its connection keeps one server session (`sharesServerSessions`), and after every `LISTEN`
/// that notifications reach it: a probe `NOTIFY` with a random token, sent on another connection
/// to `probeConninfo` (the path the other nodes' writers take), must come back within
/// `probeWait`. When either fails the listener logs one error naming the cause and the remedy
/// (`database_listen_url`, a direct connection for the listener), `reachable` reads false, and
/// the workers' bounded poll carries on (nothing is lost; wake-ups from other nodes come later).
/// After a failed pooling check it sends no `LISTEN` for the life of the store.
final class PGListener: Sendable {
    private let conninfo: String
    private let probeConninfo: String
    private let probeWait: Duration
    /// Whether a listener notifications do not reach logs it (the serving node; `reachable` is kept either way).
    private let reportsUnreachable: Bool
    private let onNotify: @Sendable () -> Void
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)
    /// Wake-up notifications received (tests, statistics; probes not counted).
    let received = Atomic<Int>(0)
    /// The last probe's outcome: -1 none ended yet, 0 it never came back, 1 it came back.
    private let probe = Atomic<Int>(-1)
    /// How long one wait for the socket lasts: bounds how late `stop()` returns.
    static let pollMillis: Int32 = 200
    /// The payload prefix of probes (the writers' wake-ups carry an empty payload).
    static let probePrefix = "probe:"

    init(
        conninfo: String, probeConninfo: String? = nil, probeWait: Duration = .seconds(3), reportsUnreachable: Bool = true,
        logger: Logger, onNotify: @escaping @Sendable () -> Void
    ) {
        self.conninfo = conninfo
        self.probeConninfo = probeConninfo ?? conninfo
        self.probeWait = probeWait
        self.reportsUnreachable = reportsUnreachable
        self.logger = logger
        self.onNotify = onNotify
    }

    /// Whether notifications sent by other sessions reach this listener: nil until the first probe
    /// ended (or when none could be sent yet).
    var reachable: Bool? {
        switch probe.load(ordering: .relaxed) {
        case 0: false
        case 1: true
        default: nil
        }
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

    /// The probe in flight: its token and when it is given up.
    private struct Probe {
        var token: String? = nil
        var deadline = ContinuousClock.now
        /// When to send one (after each `LISTEN`; again a second later when sending failed).
        var due: ContinuousClock.Instant? = nil
        var warned = false
    }

    private func run() {
        let connection = PGConnection(conninfo: conninfo, applicationName: "otp-relay listener", keepsNotifications: true)
        var wasLost = false
        var p = Probe()
        var pooled = false
        while !stopping.load(ordering: .acquiring) {
            do throws(PGError) {
                if pooled {
                    Thread.sleep(forTimeInterval: Double(Self.pollMillis) / 1000)
                    continue
                }
                if !connection.isOpen {
                    try connection.connection()
                    if try sharesServerSessions(connection) {
                        // `LISTEN` would stay on a pooled server session and reach other clients.
                        pooled = true
                        connection.close()
                        probe.store(0, ordering: .relaxed)
                        report(
                            &p, cameBack: false,
                            "the listener's statements ran on different server sessions (transaction pooling): no LISTEN sent")
                        continue
                    }
                    try connection.exec("LISTEN \(PGSQL.channel)")
                    if wasLost {
                        logger.info("outbox listener reconnected")
                        onNotify()
                    }
                    wasLost = false
                    p.due = .now
                    p.token = nil
                }
                if let due = p.due, ContinuousClock.now >= due { sendProbe(&p) }
                let tokens = try waitForNotifications(connection)
                if let t = p.token, tokens.contains(t) { probeEnded(&p, cameBack: true) }
                if p.token != nil, ContinuousClock.now >= p.deadline { probeEnded(&p, cameBack: false) }
            } catch {
                if !wasLost { logger.warning("outbox listener lost its connection", ["error": .string(error.description)]) }
                wasLost = true
                connection.close()
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        connection.close()
    }

    /// Whether `connection` goes through a transaction pooler, found before any `LISTEN`: its
    /// session's backend pid, then a transaction held open on a second connection to the same
    /// place, then the first connection's pid again. Straight to the server (or through session
    /// pooling) the first connection keeps its session and the second has another, every time;
    /// through transaction pooling the second gets the first's server session (PgBouncer hands out
    /// the last one used first) or the first comes back on another, unless other clients' traffic
    /// came between: so up to `poolingChecks` rounds. False proves nothing: the probe after
    /// `LISTEN` remains the check.
    private func sharesServerSessions(_ connection: PGConnection) throws(PGError) -> Bool {
        let pid = "SELECT pg_backend_pid()"
        let other = PGConnection(conninfo: conninfo, applicationName: "otp-relay listener probe")
        defer { other.close() }
        for _ in 0..<Self.poolingChecks {
            let first = try connection.exec(pid).int(0, 0)
            guard (try? other.exec("BEGIN")) != nil, let held = try? other.exec(pid).int(0, 0) else { return false }
            let again = try connection.exec(pid).int(0, 0)
            other.rollbackIfNeeded()
            if held == first || again != first { return true }
        }
        return false
    }

    /// Rounds of `sharesServerSessions`.
    static let poolingChecks = 5

    /// `NOTIFY` with a fresh token from a short-lived connection of its own (never the listener's:
    /// through a pooler it could reach the very server session that ran `LISTEN`).
    private func sendProbe(_ p: inout Probe) {
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let c = PGConnection(conninfo: probeConninfo, applicationName: "otp-relay listener probe")
        defer { c.close() }
        do {
            try c.exec("SELECT pg_notify($1, $2)", [PGSQL.channel, Self.probePrefix + token])
            p.token = token
            p.deadline = .now + probeWait
            p.due = nil
        } catch {
            p.due = .now + .seconds(1)
        }
    }

    private func probeEnded(_ p: inout Probe, cameBack: Bool) {
        p.token = nil
        probe.store(cameBack ? 1 : 0, ordering: .relaxed)
        report(&p, cameBack: cameBack, "no probe notification within \(probeWait.wholeMilliseconds) ms")
    }

    /// Logs a change: one error when notifications stop reaching the listener, one line when
    /// they reach it again.
    private func report(_ p: inout Probe, cameBack: Bool, _ reason: String) {
        guard reportsUnreachable else { return }
        if cameBack, p.warned {
            logger.info("outbox listener: notifications reach this node's listener again")
            p.warned = false
        } else if !cameBack, !p.warned {
            logger.error(
                "outbox listener: notifications do not reach this node's listener (a PgBouncer in transaction mode?): wake-ups "
                    + "from other nodes come only with the workers' poll; connect the listener directly with database_listen_url "
                    + "(OTP_RELAY_DATABASE_LISTEN_URL)",
                ["error": .string(reason)])
            p.warned = true
        }
    }

    /// Waits up to `pollMillis` for notifications; wakes the workers for wake-ups and returns the
    /// tokens of the probes that arrived.
    private func waitForNotifications(_ connection: PGConnection) throws(PGError) -> [String] {
        let conn = try connection.connection()
        var fds = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        let r = poll(&fds, 1, Self.pollMillis)
        guard r > 0 else { return [] }
        guard PQconsumeInput(conn) == 1 else { throw .lost(PGError.connectionMessage(conn)) }
        var wakeUps = 0
        var tokens: [String] = []
        while let note = PQnotifies(conn) {
            let payload = note.pointee.extra.map { String(cString: $0) } ?? ""
            if payload.hasPrefix(Self.probePrefix) {
                tokens.append(String(payload.dropFirst(Self.probePrefix.count)))
            } else {
                wakeUps += 1
            }
            PQfreemem(note)
        }
        if PQstatus(conn) != CONNECTION_OK { throw .lost(PGError.connectionMessage(conn)) }
        received.add(wakeUps, ordering: .relaxed)
        if wakeUps > 0 { onNotify() }
        return tokens
    }
}
