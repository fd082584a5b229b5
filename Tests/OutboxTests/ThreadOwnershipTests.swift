import Foundation
import RelayCore
import RelayTestSupport
import XCTest

@testable import Outbox

/// The SQLite connection and the writer context belong to one thread: a debug build traps when
/// another thread uses them; hand-overs (the writer thread claiming its context, the read
/// connection lent to each caller) do not.
final class StoreThreadOwnershipTests: XCTestCase {
    private func writerContext(_ tmp: TempDatabase) -> WriterContext {
        WriterContext(
            path: tmp.path, configuration: SQLiteDatabase.Configuration(), clock: ManualClock(start),
            maxDedupeWindowMillis: 60_000, maxDedupeEntries: 100)
    }

    func testWriterContextClaimedByAnotherThreadWorksThere() throws {
        let tmp = TempDatabase()
        let context = writerContext(tmp)
        _ = try context.connection()  // opened here, as SQLiteOutbox.init does
        nonisolated(unsafe) let shared = context
        nonisolated(unsafe) var token: Int64 = 0
        TrapExpectation.useFromAnotherThread {
            shared.claimForCurrentThread()  // as the writer thread does when it starts
            token = (try? shared.connection()).map { _ in shared.nextToken() } ?? 0
        }
        XCTAssertGreaterThan(token, 0)
        #if DEBUG
        XCTAssertFalse(context.owner.isOwnedByCurrentThread())
        XCTAssertEqual(context.db?.owner.isOwnedByCurrentThread(), false)
        #endif
    }

    /// Reads from several threads at once go through the lent read connection without trapping.
    func testReadConnectionIsLentToEachCaller() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        defer { outbox.close() }
        let id = try outbox.enqueueAndWait(otpJob()).get().id
        let found = Box(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<20 where (try? outbox.job(id: id)) != nil { found.with { $0 += 1 } }
        }
        XCTAssertEqual(found.get, 160)
    }

    /// Runs only in the child that `testDebugBuildTrapsOnWriterContextFromAnotherThread` starts.
    func testChildUsesWriterContextFromAnotherThread() throws {
        guard TrapExpectation.isChild else { return }
        let tmp = TempDatabase()
        let context = writerContext(tmp)
        _ = try context.connection()
        nonisolated(unsafe) let shared = context
        TrapExpectation.useFromAnotherThread { _ = try? shared.connection() }  // traps in a debug build
    }

    /// Runs only in the child that `testDebugBuildTrapsOnSQLiteConnectionFromAnotherThread` starts.
    func testChildUsesSQLiteConnectionFromAnotherThread() throws {
        guard TrapExpectation.isChild else { return }
        let tmp = TempDatabase()
        let db = try SQLiteDatabase(path: tmp.path, configuration: .init())
        try db.execute("CREATE TABLE t (x INTEGER) STRICT")
        nonisolated(unsafe) let shared = db
        TrapExpectation.useFromAnotherThread { _ = try? shared.run("INSERT INTO t (x) VALUES (1)") }  // traps in a debug build
    }

    func testDebugBuildTrapsOnWriterContextFromAnotherThread() throws {
        try expectTrap(child: "testChildUsesWriterContextFromAnotherThread", message: "WriterContext used from a thread")
    }

    func testDebugBuildTrapsOnSQLiteConnectionFromAnotherThread() throws {
        try expectTrap(child: "testChildUsesSQLiteConnectionFromAnotherThread", message: "SQLiteDatabase used from a thread")
    }

    private func expectTrap(child: String, message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try TrapExpectation.assertChildTraps(
            test: "OutboxTests.StoreThreadOwnershipTests/\(child)", message: message, file: file, line: line)
    }
}
