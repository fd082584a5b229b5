import XCTest

@testable import RelayCore

final class JobIDTests: XCTestCase {
    func testSortableAndUnique() {
        let clock = ManualClock(1_800_000_000_000)
        let gen = JobIDGenerator(clock: clock)
        var ids: [String] = []
        for i in 0..<2000 {
            if i % 500 == 0 { clock.advance(millis: 1) }
            ids.append(gen.next())
        }
        XCTAssertEqual(Set(ids).count, ids.count)
        XCTAssertEqual(ids, ids.sorted())
        XCTAssertTrue(ids.allSatisfy { $0.utf8.count == 26 })
        XCTAssertEqual(JobIDGenerator.millis(of: ids[0]), 1_800_000_000_001)
    }

    func testPartnerErrorShape() throws {
        let e = PartnerError.invalidRequest("field \"otp\" must be 4 to 10 digits")
        let obj = try JSONSerialization.jsonObject(with: Data(e.body)) as! [String: String]
        XCTAssertEqual(obj["error"], "invalid_request")
        XCTAssertEqual(obj["error_description"], "field \"otp\" must be 4 to 10 digits")
        XCTAssertEqual(PartnerError.unexpected.errorDescription, "Something Went Wrong")
        XCTAssertEqual(PartnerError.unauthorized.headers.first?.0, "WWW-Authenticate")
    }
}

final class JobIDPackTests: XCTestCase {
    func testPackRoundTrips() {
        let gen = JobIDGenerator()
        for _ in 0..<1000 {
            let id = gen.next()
            let p = JobIDGenerator.pack(id)!
            XCTAssertEqual(JobIDGenerator.unpack(high: p.high, low: p.low), id)
        }
        XCTAssertNil(JobIDGenerator.pack("short"))
        XCTAssertNil(JobIDGenerator.pack("01JD000000000000000000000I"))
    }
}
