import Foundation
import RelayCore
import XCTest

@testable import Outbox

final class QueryTests: XCTestCase {
    func testListFiltersAndPages() throws {
        let tmp = TempDatabase()
        let clock = ManualClock(start)
        let outbox = try makeOutbox(tmp, clock: clock)
        var ids: [String] = []
        for i in 0..<6 {
            clock.advance(millis: 1_000)
            let channel: Channel = i % 2 == 0 ? .sms : .email
            let to = channel == .sms ? "+6281200000\(i)0" : "user\(i)@example.com"
            let job = NewJob.otp(
                channel: channel, recipient: to, recipientHash: [UInt8(i)], otp: "12345\(i)",
                dedupeKey: nil, dedupeWindow: .zero, createdAt: clock.nowMillis(),
                expiresAt: clock.nowMillis() + 300_000)
            ids.append(try outbox.enqueueAndWait(job).get().id)
        }
        XCTAssertEqual(ids, ids.sorted(), "ids sort by time")
        XCTAssertEqual(try outbox.jobs(matching: JobFilter()).map(\.id), ids.reversed(), "newest first")
        XCTAssertEqual(try outbox.jobs(matching: JobFilter(channel: "sms")).map(\.id), [ids[4], ids[2], ids[0]])
        XCTAssertEqual(
            try outbox.jobs(matching: JobFilter(createdFrom: start + 2_000, createdBefore: start + 4_000)).map(\.id),
            [ids[2], ids[1]])
        let page1 = try outbox.jobs(matching: JobFilter(limit: 4))
        let page2 = try outbox.jobs(matching: JobFilter(beforeID: page1.last!.id, limit: 4))
        XCTAssertEqual((page1 + page2).map(\.id), ids.reversed())
        XCTAssertEqual(try outbox.jobs(matching: JobFilter(kind: .kyc)).count, 0)
        _ = try outbox.claim(limit: 2, lease: .milliseconds(1_000), now: clock.nowMillis())
        XCTAssertEqual(try outbox.jobs(matching: JobFilter(status: .sending)).map(\.id), [ids[1], ids[0]])
        XCTAssertEqual(try outbox.jobs(matching: JobFilter(status: .sending, channel: "email")).map(\.id), [ids[1]])
        let counts = try outbox.countsByStatus(channel: nil)
        XCTAssertEqual(counts, [.queued: 4, .sending: 2, .sent: 0, .delivered: 0, .undelivered: 0, .dead: 0, .expired: 0])
        XCTAssertEqual(try outbox.countsByStatus(channel: "email")[.queued], 2)
        XCTAssertEqual(try outbox.job(id: ids[3])?.recipientMasked, "us***@example.com")
        XCTAssertNil(try outbox.job(id: "nope"))
    }

    func testDashboardViewsHoldNoSecret() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        _ = try outbox.enqueueAndWait(otpJob()).get()
        let columns = try query(tmp.path, "SELECT name FROM pragma_table_info('jobs_view')") { $0.string(0) }
        XCTAssertFalse(columns.contains("payload"))
        XCTAssertFalse(columns.contains("recipient_hash"))
        XCTAssertFalse(columns.contains("dedupe_key"))
        XCTAssertEqual(
            try query(tmp.path, "SELECT recipient_masked, has_payload FROM jobs_view") { [$0.string(0), String($0.int(1))] },
            [["+62845****0987", "1"]])
    }

    func testKYCJob() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let data = Array(#"{"nik":"3171234567890123","phone_number":"6281234567890"}"#.utf8)
        let job = NewJob(
            kind: .kyc, channel: kycChannelName, recipient: "6281234567890", recipientMasked: "6281234****7890",
            recipientHash: [9], secret: data, createdAt: start, expiresAt: start + 86_400_000)
        let id = try outbox.enqueueAndWait(job).get().id
        let claimed = try outbox.claim(limit: 1, lease: .milliseconds(1_000), now: start)
        XCTAssertEqual(claimed.first?.id, id)
        XCTAssertEqual(claimed.first?.kind, .kyc)
        XCTAssertEqual(claimed.first?.secret, data)
        XCTAssertFalse(tmp.fileBytes().contains(Array("3171234567890123".utf8)))
    }
}
