import XCTest

@testable import Transport

/// The life of one transfer on the multi interface, without curl: the completion runs exactly
/// once whatever the order of events.
final class TransferStateMachineTests: XCTestCase {
    func testNormalLifeEndsOnceWithItsDuration() {
        var m = TransferStateMachine()
        XCTAssertEqual(m.phase, .built)
        XCTAssertTrue(m.queue())
        XCTAssertFalse(m.queue(), "queued twice")
        XCTAssertTrue(m.start(now: 1_000_000_000))
        XCTAssertTrue(m.isRunning)
        XCTAssertFalse(m.start(now: 2_000_000_000), "added twice")
        XCTAssertEqual(m.end(now: 1_250_000_000), 250)
        XCTAssertEqual(m.phase, .ended)
        XCTAssertNil(m.end(now: 1_300_000_000), "the completion runs once")
        XCTAssertFalse(m.abort(), "an ended transfer is not aborted")
        XCTAssertTrue(m.isFinished)
    }

    func testRefusedBeforeQueueingEndsAtOnce() {
        var m = TransferStateMachine()
        XCTAssertEqual(m.end(now: 5), 0)
        XCTAssertFalse(m.queue(), "a finished transfer is not queued")
        XCTAssertFalse(m.abort())
    }

    func testAbortWhileQueuedOrRunningCompletesOnce() {
        var queued = TransferStateMachine()
        XCTAssertTrue(queued.queue())
        XCTAssertNil(queued.end(now: 1), "curl cannot end what it never had")
        XCTAssertTrue(queued.abort())
        XCTAssertFalse(queued.start(now: 2), "an aborted transfer is never added")
        XCTAssertFalse(queued.abort())
        XCTAssertEqual(queued.phase, .aborted)

        var running = TransferStateMachine()
        _ = running.queue()
        _ = running.start(now: 1)
        XCTAssertTrue(running.abort())
        XCTAssertNil(running.end(now: 2), "a late DONE after the abort runs nothing")
        XCTAssertFalse(running.isRunning)
    }
}
