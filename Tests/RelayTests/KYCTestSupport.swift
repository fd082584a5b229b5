import Delivery
import Foundation
import Outbox
import RelayCore
import RelayCrypto
import RelayTestSupport
import SQEKYC
import XCTest

@testable import Relay

/// The personal data of the test record, and what must never show up outside the sealed payload.
enum KYCSample {
    static let body =
        #"{"client_id":"nanovest","phone_number":"0812-3456-7890","full_name":"Siti Rahayu","nik":"3201234567890001","#
        + #""date_of_birth":"1990-05-17","email":"siti.rahayu@example.co.id"}"#
    static let normalizedPhone = "6281234567890"
    static let masked = "+62812****7890"
    /// NIK, name parts, birth date, the full number in every form, the email's local part.
    static let secrets = [
        "3201234567890001", "Siti", "Rahayu", "1990-05-17", "6281234567890", "81234567890",
        "0812-3456-7890", "siti.rahayu",
    ]

    static func assertNoPersonalData(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for s in secrets {
            XCTAssertFalse(text.contains(s), "\(what) holds \(s)", file: file, line: line)
        }
    }
}

/// A real SQLite outbox on a temp file, the KYC ingest, and (unless told otherwise) the real
/// delivery `WorkerPool` with the KYC handler, against the fake SQEKYC.
final class KYCHarness {
    let dir = TempDirectory("otp-relay-kyc")
    let key = DataKey.generate()
    let logs = LogCapture()
    var logger: Logger { logs.logger }
    let store: SQLiteOutbox
    let fake: SQEKYCFake
    let settings: SQEKYCSettings
    let retry: RetryPolicy
    let ingest: KYCIngest
    private(set) var pool: WorkerPool?

    var dbPath: String { dir.file("outbox.sqlite") }

    init(
        secret: String = SQEKYCFake.clientSecret, timeoutMillis: Int = 5_000, maxAttempts: Int = 3,
        startPool: Bool = true
    ) throws {
        let logger = logs.logger
        fake = try SQEKYCFake()
        store = try SQLiteOutbox(path: dir.file("outbox.sqlite"), dataKey: key, logger: logger)
        settings = SQEKYCSettings(
            baseURL: fake.baseURL, clientID: SQEKYCFake.clientID, clientSecret: secret,
            timeoutMillis: timeoutMillis)
        retry = RetryPolicy(baseDelay: .milliseconds(1), maxDelay: .milliseconds(5), maxAttempts: maxAttempts, random: .zero)
        ingest = KYCIngest(store: store, dataKey: key, settings: settings, logger: logger)
        if startPool {
            var delivery = DeliveryConfiguration.sandbox(file: dir.file("sandbox.jsonl"))
            delivery.retry = retry
            delivery.workers = 2
            var c = Configuration()
            c.sqekyc = settings
            let factory = try XCTUnwrap(RelayService.makeKYCHandlerFactory(c, retry: retry, logger: logger))
            let p = WorkerPool(store: store, configuration: delivery, logger: logger, handlers: [.kyc: factory])
            p.start()
            pool = p
        }
    }

    deinit {
        pool?.shutdown(by: .now + .seconds(2))
        store.close()
    }

    /// A handler of our own, for tests that drive one try by hand.
    func handler() -> any JobHandler {
        KYCJobHandler.factory(settings: settings, retry: retry, clock: SystemClock(), logger: logger)()
    }

    func queue(_ body: String = KYCSample.body) throws -> String {
        try ingest.submitAndWait(body: Array(body.utf8), actor: "test").id
    }

    /// Waits (at most 15 s) until the job reaches `status`.
    @discardableResult
    func wait(_ id: String, for status: JobStatus, file: StaticString = #filePath, line: UInt = #line) throws -> JobRecord {
        let deadline = Date().addingTimeInterval(15)
        var last: JobRecord?
        while Date() < deadline {
            last = try store.job(id: id)
            if last?.status == status { return last! }
            Thread.sleep(forTimeInterval: 0.02)
        }
        XCTFail("job \(id) is \(last?.status.rawValue ?? "missing"), not \(status.rawValue)", file: file, line: line)
        throw POSIXError(.ETIMEDOUT)
    }

    /// The dashboard views through the sqlite3 CLI, every column.
    func views() throws -> String {
        try (sqliteQuery(dbPath, "SELECT * FROM jobs_view") + sqliteQuery(dbPath, "SELECT * FROM attempts_view"))
            .joined(separator: "\n")
    }
}
