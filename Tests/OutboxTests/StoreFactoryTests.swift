import Foundation
import RelayCore
import XCTest

@testable import Outbox

final class StoreFactoryTests: XCTestCase {
    /// The factory's store works through the protocols alone, and as a lifecycle component its
    /// shutdown commits what was accepted, reports it in time, and refuses what comes after.
    func testFactoryStoreThroughProtocolsAndShutdown() throws {
        let tmp = TempDatabase()
        let store = try StoreFactory.open(.sqlite(path: tmp.path), dataKey: testKey, clock: ManualClock(start), logger: .silent)
        XCTAssertEqual(store.lifecycleName, "store")
        try store.start()
        let ingest: any JobIngestStore = store
        let accepted = Box(0)
        let group = DispatchGroup()
        for i in 0..<50 {
            group.enter()
            ingest.enqueue(otpJob(otp: "\(200000 + i)")) { r in
                if case .success = r { accepted.with { $0 += 1 } }
                group.leave()
            }
        }
        XCTAssertTrue(store.shutdown(by: ContinuousClock.now + .seconds(10)))
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(accepted.get, 50)
        XCTAssertThrowsError(try store.jobs(matching: JobFilter()))
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM jobs") { $0.int(0) }, [50])

        let reopened = try StoreFactory.open(.sqlite(path: tmp.path), dataKey: testKey, clock: ManualClock(start), logger: .silent)
        defer { reopened.close() }
        let delivery: any JobDeliveryStore = reopened
        let claimed = try delivery.claim(limit: 100, lease: .seconds(30), now: start)
        XCTAssertEqual(claimed.count, 50)
        XCTAssertEqual(claimed.first?.leaseUntil, start + 30_000)
        let stats: any JobStatisticsStore = reopened
        XCTAssertEqual(try stats.countsByStatus(channel: nil)[.sending], 50)
        XCTAssertTrue(stats.isWritable)
    }

    func testMigrateThroughTheFactory() throws {
        let tmp = TempDatabase()
        XCTAssertEqual(try StoreFactory.migrate(.sqlite(path: tmp.path), now: start).count, EmbeddedMigrations.all.count)
        XCTAssertEqual(try StoreFactory.migrate(.sqlite(path: tmp.path), now: start), [])
    }
}
