import RelayCore
import XCTest

@testable import Outbox

/// Batches of claims, renewals and finishes only commit with synchronous=NORMAL (a lost one means a
/// resend); anything else with FULL, and the level follows each batch.
final class SynchronousLevelTests: XCTestCase {
    private func level(_ outbox: SQLiteOutbox, durable: Bool) throws -> Int64 {
        try outbox.writer.perform(durable: durable) { ctx throws(SQLiteError) in
            try ctx.connection().withStatement("PRAGMA synchronous") { s throws(SQLiteError) in try s.step() ? s.int64(0) : -1 }
        }.get()
    }

    func testDeliveryOnlyBatchesSkipTheFsyncAndOthersKeepIt() throws {
        let db = TempDatabase()
        let outbox = try makeOutbox(db)
        defer { outbox.close() }
        XCTAssertEqual(try level(outbox, durable: true), 2, "FULL")
        XCTAssertEqual(try level(outbox, durable: false), 1, "NORMAL for a batch that may be lost")
        XCTAssertEqual(try level(outbox, durable: true), 2, "back to FULL for the next durable batch")
    }
}
