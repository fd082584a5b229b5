import Foundation
import RelayCore
import XCTest

@testable import Outbox

final class ShutdownTests: XCTestCase {
    /// Requests accepted before `close` are committed and answered; later ones are refused.
    func testCloseCommitsWhatWasAccepted() throws {
        let tmp = TempDatabase()
        let outbox = try makeOutbox(tmp)
        let ok = Box(0), refused = Box(0)
        let group = DispatchGroup()
        for i in 0..<500 {
            group.enter()
            outbox.enqueue(otpJob(otp: "\(100000 + i)")) { r in
                switch r {
                case .success: ok.with { $0 += 1 }
                case .failure: refused.with { $0 += 1 }
                }
                group.leave()
            }
        }
        outbox.close()
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(ok.get, 500)
        XCTAssertEqual(outbox.enqueueAndWait(otpJob(otp: "999999")).failure, .unavailable)
        XCTAssertEqual(try query(tmp.path, "SELECT count(*) FROM jobs") { $0.int(0) }, [500])
    }
}
