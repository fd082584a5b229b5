import RelayCore
import XCTest

@testable import Delivery

/// The worker pool's transitions, without threads, a store or a clock.
final class WorkerPoolStateMachineTests: XCTestCase {
    struct Job: FencedJob, Equatable {
        let id: Int
        let token: Int64
    }

    typealias Machine = WorkerPoolStateMachine<Job>

    private func jobs(_ ids: ClosedRange<Int>, token: Int64) -> [Job] { ids.map { Job(id: $0, token: token) } }

    private func next(_ m: inout Machine) -> Job? {
        if case .process(let j) = m.nextJob() { return j }
        return nil
    }

    func testStartsOnceAndNotAfterShutdown() {
        var m = Machine(workers: 2, batchSize: 32)
        XCTAssertFalse(m.isRunning)
        XCTAssertTrue(m.dispatcherShouldExit)
        XCTAssertTrue(m.start())
        XCTAssertTrue(m.isRunning)
        XCTAssertFalse(m.start(), "a second start spawns nothing")

        var never = Machine(workers: 2, batchSize: 32)
        guard case .nothing = never.shutdown(by: .now) else { return XCTFail("nothing to drain before start") }
        guard case .stopped = never.state else { return XCTFail("shutdown before start stops") }
        XCTAssertFalse(never.start(), "a start after shutdown does nothing")
        XCTAssertFalse(never.isRunning)
    }

    func testClaimWindowRefillsInChunks() {
        var m = Machine(workers: 4, batchSize: 32)
        XCTAssertEqual(m.checkCapacity(), .init(jobs: 0, mayBeReady: false, backlog: false), "idle: no claims")
        _ = m.start()
        // window = 2 × workers = 8, refill = min(batch, window / 4) = 2
        XCTAssertEqual(m.checkCapacity(), .init(jobs: 8, mayBeReady: true, backlog: false))
        XCTAssertEqual(m.checkCapacity().mayBeReady, false, "a positive answer consumes the hint")
        XCTAssertEqual(m.claimed(jobs(1...7, token: 1), limit: 8), .hand(7))
        XCTAssertEqual(m.checkCapacity().jobs, 0, "1 free < refill 2 while jobs are pending")
        XCTAssertEqual(next(&m)?.id, 1)
        XCTAssertEqual(m.checkCapacity().jobs, 0, "in flight still counts")
        XCTAssertTrue(m.settle(token: 1, committed: true), "the window opened while the dispatcher waited")
        XCTAssertEqual(m.checkCapacity().jobs, 2)
    }

    func testFullClaimMeansBacklogAndALargerWindow() {
        var m = Machine(workers: 2, batchSize: 32)
        _ = m.start()
        XCTAssertEqual(m.checkCapacity().jobs, 4)
        XCTAssertEqual(m.claimed(jobs(1...4, token: 7), limit: 4), .hand(4))
        let c = m.checkCapacity()
        // backlog window = max(4, 2 × 16) = 32, refill 8: 28 free
        XCTAssertEqual(c, .init(jobs: 28, mayBeReady: true, backlog: true))
        XCTAssertEqual(m.claimed([], limit: 28), .none)
        XCTAssertEqual(m.checkCapacity(), .init(jobs: 0, mayBeReady: false, backlog: false), "an empty claim ends the backlog")
    }

    func testCommitMarksJobsMaybeReady() {
        var m = Machine(workers: 1, batchSize: 1)
        _ = m.start()
        _ = m.checkCapacity()
        XCTAssertFalse(m.checkCapacity().mayBeReady)
        m.commitObserved()
        XCTAssertTrue(m.checkCapacity().mayBeReady)
    }

    func testWorkersTakeJobsInOrderAndWaitWhenEmpty() {
        var m = Machine(workers: 2, batchSize: 32)
        guard case .wait = m.nextJob() else { return XCTFail("idle workers wait") }
        _ = m.start()
        _ = m.claimed(jobs(1...3, token: 1), limit: 4)
        XCTAssertEqual([next(&m), next(&m), next(&m)].map { $0?.id }, [1, 2, 3])
        guard case .wait = m.nextJob() else { return XCTFail("nothing pending: wait") }
    }

    func testShutdownReturnsUnstartedAndKeepsBusyTokens() {
        var m = Machine(workers: 2, batchSize: 32)
        _ = m.start()
        _ = m.claimed(jobs(1...2, token: 1) + jobs(3...4, token: 2), limit: 8)
        XCTAssertEqual(next(&m)?.token, 1)
        let deadline = ContinuousClock.now + .seconds(3)
        guard case .drain(let unstarted) = m.shutdown(by: deadline) else { return XCTFail("running: drain") }
        XCTAssertEqual(unstarted.map(\.id), [2, 3, 4])
        guard case .draining(let d) = m.state else { return XCTFail("draining") }
        XCTAssertEqual(d.deadline, deadline)
        XCTAssertFalse(m.isRunning, "readiness drops at once")
        XCTAssertTrue(m.dispatcherShouldExit)
        guard case .exit = m.nextJob() else { return XCTFail("workers exit while draining") }
        guard case .nothing = m.shutdown(by: .now) else { return XCTFail("a second shutdown does nothing") }
        XCTAssertEqual(m.claimed(jobs(9...9, token: 5), limit: 4), .release([5]), "a late claim goes back")
        XCTAssertEqual(m.drained(), [1], "the in-flight send's token stays busy")
        guard case .stopped = m.state else { return XCTFail("stopped") }
        XCTAssertEqual(m.drained(), [])
    }

    func testSettledAndAbandonedFinishesWhileDraining() {
        var m = Machine(workers: 2, batchSize: 32)
        _ = m.start()
        _ = m.claimed(jobs(1...2, token: 1) + jobs(3...3, token: 2), limit: 8)
        _ = (next(&m), next(&m), next(&m))
        guard case .drain = m.shutdown(by: .now + .seconds(1)) else { return XCTFail("drain") }
        XCTAssertTrue(m.settle(token: 1, committed: true), "every settle while draining wakes the dispatcher")
        XCTAssertTrue(m.settle(token: 2, committed: false))
        XCTAssertEqual(m.drained(), [1, 2], "token 1 still has a send; token 2's finish was abandoned")
        XCTAssertFalse(m.settle(token: 1, committed: true), "after the drain a settle changes nothing")
    }
}
