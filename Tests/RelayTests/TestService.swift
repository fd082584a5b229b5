import Foundation
import RelayCore
import RelayCrypto
import RelayTestSupport

@testable import Relay

/// A real `RelayService` on loopback (kernel-chosen ports) over a fresh SQLite file.
final class TestService {
    let dir = TempDirectory()
    let service: RelayService
    let dataKey = DataKey.generate()
    let logLines: LogCapture
    static let user = "simas-id"
    static let password = "correct-horse-battery-staple"
    var db: String { service.configuration.databasePath }
    var port: Int { service.publicPort }
    var auth: String { WebhookRequest.basic(Self.user, Self.password) }

    init(
        clock: any WallClock = SystemClock(), monotonic: any MonotonicClock = SystemMonotonicClock(),
        _ tweak: (inout Configuration) -> Void = { _ in }
    ) throws {
        var c = Configuration()
        c.databasePath = dir.file("outbox.sqlite")
        c.listen = ListenAddress(host: "127.0.0.1", port: 0)
        c.adminListen = ListenAddress(host: "127.0.0.1", port: 0)
        c.webhookCredentials = [StoredCredential(username: Self.user, password: Self.password)]
        c.adminCredentials = [StoredCredential(username: "admin", password: "admin-password")]
        c.sandboxFile = dir.file("sandbox.jsonl")
        c.shutdownGrace = .seconds(2)
        tweak(&c)
        logLines = LogCapture()
        service = try RelayService(configuration: c, dataKey: dataKey, logger: logLines.logger, clock: clock, monotonic: monotonic)
        try service.start()
    }

    deinit { service.shutdown() }

    func connect() throws -> RawConnection { try RawConnection(port: port) }

    /// One request on a fresh connection.
    func send(_ raw: String) throws -> WireResponse {
        let c = try connect()
        try c.send(raw)
        guard let r = try c.readResponse() else { throw POSIXError(.ECONNRESET) }
        return r
    }

    func post(_ body: String, authorization: String? = nil) throws -> WireResponse {
        try send(WebhookRequest.post(body: body, authorization: authorization ?? auth))
    }

    func count(_ whereClause: String = "1") throws -> Int {
        Int(try sqliteQuery(db, "SELECT count(*) FROM jobs WHERE \(whereClause)").first ?? "-1") ?? -1
    }
}

/// Collects log lines for assertions.
final class LogCapture: @unchecked Sendable {
    // Guarded by `lock`; appended from any thread.
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ l: String) { lock.lock(); stored.append(l); lock.unlock() }
    var all: String { lock.lock(); defer { lock.unlock() }; return stored.joined() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    var count: Int { lock.lock(); defer { lock.unlock() }; return stored.count }
    /// A debug-level logger whose lines land here.
    var logger: Logger { Logger(level: .debug, sink: { [self] in append($0) }) }
}
