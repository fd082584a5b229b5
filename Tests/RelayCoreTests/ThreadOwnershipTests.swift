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
        let done = DispatchSemaphore(value: 0)
        Thread {
            c.use()  // traps in a debug build
            done.signal()
        }.start()
        done.wait()
    }

    func testDebugBuildTrapsOnUseFromAnotherThread() throws {
        #if DEBUG
        let (ending, stderr) = try TrapExpectation.runChild(test: "RelayCoreTests.ThreadOwnershipTests/testChildUsesFromAnotherThread")
        XCTAssertTrue([.signalled(SIGILL), .signalled(SIGTRAP)].contains(ending), "\(ending) stderr: \(stderr.suffix(2000))")
        XCTAssertTrue(stderr.contains("Confined used from a thread that does not own it"), stderr)
        #else
        throw XCTSkip("release build: ownership checks compile to nothing")
        #endif
    }
}
