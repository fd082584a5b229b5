import Foundation
import RelayTestSupport
import XCTest

@testable import Transport

/// Carries a thread-confined object to another thread on purpose (what these tests are about).
private struct Smuggled<T>: @unchecked Sendable {
    let value: T
}

/// A libcurl easy handle belongs to one thread at a time: a debug build traps on a use from another.
final class CurlOwnershipTests: XCTestCase {
    func testReleasedHandleMovesToAnotherThread() {
        let easy = CurlEasy()
        let carried = Smuggled(value: easy)
        easy.reset()
        XCTAssertTrue(easy.owner.isOwnedByCurrentThread())
        easy.releaseOwner()
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var ownedThere = false
        Thread {
            let easy = carried.value
            easy.reset()
            ownedThere = easy.owner.isOwnedByCurrentThread()
            easy.releaseOwner()
            done.signal()
        }.start()
        done.wait()
        XCTAssertTrue(ownedThere)
        easy.reset()
    }

    /// Runs only in the child that `testDebugBuildTrapsOnUseFromAnotherThread` starts.
    func testChildUsesFromAnotherThread() {
        guard TrapExpectation.isChild else { return }
        let client = HTTPClient()
        let carried = Smuggled(value: client)
        // The first transfer makes this thread the owner (it fails fast: nothing listens on port 1).
        _ = try? client.perform(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:1/"))
        TrapExpectation.useFromAnotherThread {
            _ = try? carried.value.perform(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:1/"))  // traps in a debug build
        }
    }

    func testDebugBuildTrapsOnUseFromAnotherThread() throws {
        try TrapExpectation.assertChildTraps(
            test: "TransportTests.CurlOwnershipTests/testChildUsesFromAnotherThread",
            message: "CurlEasy used from a thread that does not own it")
    }
}
