import XCTest

@testable import Relay

final class RequestIDsTests: XCTestCase {
    func testIDsAreThePrefixAndTheCounterInHex() {
        let ids = RequestIDs()
        let all = (1...300).map { _ in ids.next() }
        let prefix = String(all[0].prefix(8))
        XCTAssertTrue(prefix.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        for (i, id) in all.enumerated() {
            XCTAssertEqual(id, prefix + "-" + String(i + 1, radix: 16))
        }
        XCTAssertNotEqual(RequestIDs().next().prefix(8), prefix.prefix(8), "a new process draws a new prefix (1 in 2^32 to collide)")
    }
}
