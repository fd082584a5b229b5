import Foundation
import RelayCore
import RelayTestSupport
import XCTest

private final class Confined: @unchecked Sendable {
    let owner = ThreadOwnership("Confined")
    func use() { owner.check() }
}

final class ThreadOwnershipTests: XCTestCase {
    func testOwnerThreadMayUseItAndAnotherMayNot() {
        let c = Confined()
        c.use()
        c.use()
        XCTAssertTrue(c.owner.isOwnedByCurrentThread())
        let other = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var ownedThere = true
        Thread {
            ownedThere = c.owner.isOwnedByCurrentThread()
            other.signal()
        }.start()
        other.wait()
        #if DEBUG
        XCTAssertFalse(ownedThere)
        #else
        XCTAssertTrue(ownedThere)
        #endif
    }

    func testClaimHandsItToAnotherThread() {
        let c = Confined()
        c.use()
        let done = DispatchSemaphore(value: 0)
        Thread {
            c.owner.claim()
            c.use()
            done.signal()
        }.start()
        done.wait()
        XCTAssertFalse(c.owner.isOwnedByCurrentThread() && _isDebugAssertConfiguration())
        c.owner.release()
        c.use()
        XCTAssertTrue(c.owner.isOwnedByCurrentThread())
    }

    /// Runs only in the child that `testDebugBuildTrapsOnUseFromAnotherThread` starts.
    func testChildUsesFromAnotherThread() {
        guard TrapExpectation.isChild else { return }
        let c = Confined()
        c.use()
        TrapExpectation.useFromAnotherThread { c.use() }  // traps in a debug build
    }

    func testDebugBuildTrapsOnUseFromAnotherThread() throws {
        try TrapExpectation.assertChildTraps(
            test: "RelayCoreTests.ThreadOwnershipTests/testChildUsesFromAnotherThread",
            message: "Confined used from a thread that does not own it")
    }
}
