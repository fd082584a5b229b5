import RelayCore
import Synchronization
import XCTest

private final class Recorder: Sendable {
    let events = Mutex<[String]>([])
    func add(_ e: String) { events.withLock { $0.append(e) } }
    var all: [String] { events.withLock { $0 } }
}

private struct StartFailure: Error {}

private final class FakeComponent: LifecycleComponent {
    let lifecycleName: String
    let recorder: Recorder
    let failsToStart: Bool
    let finishes: Bool
    init(_ name: String, _ recorder: Recorder, failsToStart: Bool = false, finishes: Bool = true) {
        lifecycleName = name
        self.recorder = recorder
        self.failsToStart = failsToStart
        self.finishes = finishes
    }
    func start() throws {
        if failsToStart { throw StartFailure() }
        recorder.add("start \(lifecycleName)")
    }
    func shutdown(by deadline: Deadline) -> Bool {
        recorder.add("stop \(lifecycleName)")
        return finishes
    }
}

final class ServiceGroupTests: XCTestCase {
    func testStartsInOrderAndStopsInReverse() throws {
        let r = Recorder()
        let g = ServiceGroup([FakeComponent("store", r), FakeComponent("pool", r), FakeComponent("http", r)])
        try g.start()
        let reports = g.shutdown(by: .now + .seconds(1))
        XCTAssertEqual(r.all, ["start store", "start pool", "start http", "stop http", "stop pool", "stop store"])
        XCTAssertEqual(reports.map(\.name), ["http", "pool", "store"])
        XCTAssertTrue(reports.allSatisfy(\.finishedInTime))
        XCTAssertEqual(g.shutdown(by: .now + .seconds(1)), [], "a second shutdown does nothing")
    }

    func testAFailedStartStopsWhatWasStartedInReverseAndRethrows() {
        let r = Recorder()
        let g = ServiceGroup([
            FakeComponent("store", r), FakeComponent("pool", r), FakeComponent("http", r, failsToStart: true),
            FakeComponent("admin", r),
        ])
        XCTAssertThrowsError(try g.start()) { XCTAssertTrue($0 is StartFailure) }
        XCTAssertEqual(r.all, ["start store", "start pool", "stop pool", "stop store"])
        XCTAssertEqual(g.shutdown(by: .now + .seconds(1)), [], "nothing left to stop")
    }

    func testReportsAComponentThatMissedTheDeadline() throws {
        let r = Recorder()
        let g = ServiceGroup([FakeComponent("store", r), FakeComponent("pool", r, finishes: false)])
        try g.start()
        let reports = g.shutdown(by: .now)
        XCTAssertEqual(reports.map(\.finishedInTime), [false, true])
    }

    func testDurationConversions() {
        XCTAssertEqual(Duration.milliseconds(1500).wholeMilliseconds, 1500)
        XCTAssertEqual(Duration.microseconds(2999).wholeMilliseconds, 2)
        XCTAssertEqual(Duration.seconds(90).wholeSeconds, 90)
        XCTAssertEqual(Duration.milliseconds(-20).wholeMilliseconds, -20)
        XCTAssertEqual((ContinuousClock.now - .seconds(1)).remaining, .zero)
        XCTAssertGreaterThan((ContinuousClock.now + .seconds(10)).remaining, .seconds(9))
    }
}
