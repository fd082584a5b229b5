import XCTest

@testable import SIMASID

final class JWKSCachePolicyTests: XCTestCase {
    func testMaxAgeClampedToBounds() {
        let p = JWKSCachePolicy(minimumTTLSeconds: 60, maximumTTLSeconds: 86_400, defaultTTLSeconds: 900)
        XCTAssertEqual(p.ttlSeconds(cacheControl: nil), 900)
        XCTAssertEqual(p.ttlSeconds(cacheControl: "max-age=300"), 300)
        XCTAssertEqual(p.ttlSeconds(cacheControl: "public, MAX-AGE=7200, must-revalidate"), 7200)
        XCTAssertEqual(p.ttlSeconds(cacheControl: "max-age=5"), 60)
        XCTAssertEqual(p.ttlSeconds(cacheControl: "max-age=99999999"), 86_400)
        XCTAssertEqual(p.ttlSeconds(cacheControl: "no-cache"), 60)
        XCTAssertEqual(p.ttlSeconds(cacheControl: "no-store, max-age=600"), 60)
        XCTAssertEqual(p.ttlSeconds(cacheControl: "max-age=\"600\""), 600)
        XCTAssertEqual(p.ttlSeconds(cacheControl: "max-age=bogus"), 60)
        XCTAssertEqual(p.ttlSeconds(cacheControl: "private"), 900)
    }
}
