import XCTest

@testable import HTTPServer

/// The connection lifecycle without sockets: each test drives the machine through the events a
/// `Connection` reports and checks the state and the actions it answers.
final class ConnectionStateMachineTests: XCTestCase {
    private let timeouts = ConnectionStateMachine.Timeouts(head: 1000, body: 2000, idle: 5000, write: 3000, linger: 500)

    private let bounds = ConnectionStateMachine.Bounds(maxInFlight: 4, outputHighWater: 1000, outputLowWater: 250, maxEmptyLines: 3)

    private func machine(now: Int64 = 0, linger: Int64? = nil) -> ConnectionStateMachine {
        var t = timeouts
        if let linger { t.linger = linger }
        return ConnectionStateMachine(timeouts: t, bounds: bounds, now: now)
    }

    private let head = HTTPRequestHead(method: "POST", target: "/", contentLength: 10)

    /// A compact description of the state, for assertions.
    private func summary(_ m: ConnectionStateMachine) -> String {
        switch m.state {
        case .reading(let r):
            let last = r.isLast ? " last" : ""
            switch r.request {
            case .head(let s): return "head(\(s.map(String.init) ?? "-"))\(last)"
            case .body(_, let n, let s): return "body(\(n)@\(s))\(last)"
            case .discard(let n, let s): return "discard(\(n)@\(s))\(last)"
            }
        case .draining(let peerClosed, let abort): return "draining(peer \(peerClosed ? "gone" : "open")\(abort ? ", abort" : ""))"
        case .lingering(let until): return "lingering(\(until))"
        case .closed: return "closed"
        }
    }

    private func deadlines(
        _ m: ConnectionStateMachine, at now: Int64, inFlight: Int = 0, hasOutput: Bool = false
    ) -> ConnectionStateMachine.Action {
        m.checkDeadlines(now: now, inFlight: inFlight, hasOutput: hasOutput)
    }

    func testIdleConnectionClosesAfterTheIdleTimeoutOnly() {
        var m = machine(now: 100)
        XCTAssertEqual(summary(m), "head(-)")
        XCTAssertEqual(deadlines(m, at: 5099), .none)
        XCTAssertEqual(deadlines(m, at: 5100), .close)
        // Activity restarts the idle clock; a request in flight or output pending keeps it open.
        m.activity(now: 4000)
        XCTAssertEqual(deadlines(m, at: 5100), .none)
        XCTAssertEqual(deadlines(m, at: 9000, inFlight: 1), .none)
        XCTAssertEqual(deadlines(m, at: 9000, hasOutput: true), .none)
        XCTAssertEqual(deadlines(m, at: 9000), .close)
    }

    func testHeadDeadlineRunsFromItsFirstByte() {
        var m = machine()
        m.headBytesBuffered(now: 200)
        m.headBytesBuffered(now: 700)  // more bytes of the same head do not restart it
        XCTAssertEqual(summary(m), "head(200)")
        XCTAssertEqual(deadlines(m, at: 1199), .none)
        XCTAssertEqual(deadlines(m, at: 1200), .reject(.requestTimeout))
        // With the pipeline full the head is not being parsed, so its deadline waits.
        XCTAssertEqual(deadlines(m, at: 1200, inFlight: 4), .none)
        // Parsed in time: no deadline until the next head starts.
        m.headParsed()
        XCTAssertEqual(summary(m), "head(-)")
        XCTAssertEqual(deadlines(m, at: 1200, inFlight: 1), .none)
        m.headBytesBuffered(now: 1300)
        m.noHeadBuffered()  // only CRLFs between requests
        XCTAssertEqual(summary(m), "head(-)")
    }

    func testBodyDeadlineAndCompletion() {
        var m = machine()
        m.headParsed()
        m.expectBody(head, length: 10, now: 300)
        XCTAssertEqual(summary(m), "body(10@300)")
        XCTAssertEqual(deadlines(m, at: 2299), .none)
        XCTAssertEqual(deadlines(m, at: 2300), .reject(.requestTimeout))
        m.bodyReceived()
        XCTAssertEqual(summary(m), "head(-)")
        XCTAssertEqual(deadlines(m, at: 2300, inFlight: 1), .none)
    }

    func testDiscardedBodyCountsDownUnderTheBodyDeadline() {
        var m = machine()
        m.discardBody(length: 10, now: 50)
        XCTAssertFalse(m.bodyBytesDiscarded(4))
        XCTAssertEqual(summary(m), "discard(6@50)")
        XCTAssertEqual(deadlines(m, at: 2050), .reject(.requestTimeout))
        XCTAssertTrue(m.bodyBytesDiscarded(6))
        XCTAssertEqual(summary(m), "head(-)")
    }

    func testWriteDeadlineRunsWhileOutputIsRefused() {
        var m = machine()
        m.writeBlocked(now: 100)
        m.writeBlocked(now: 2000)  // still the first refusal that counts
        XCTAssertEqual(deadlines(m, at: 3099, hasOutput: true), .none)
        XCTAssertEqual(deadlines(m, at: 3100, hasOutput: true), .resetAfterWriteTimeout)
        XCTAssertEqual(m.outputWritten(now: 3000, nothingInFlight: true, stopping: false), .none)
        XCTAssertNil(m.writeBlockedSince)
        XCTAssertEqual(deadlines(m, at: 3100), .none)
        // It runs while draining too.
        m.stopReading()
        m.writeBlocked(now: 4000)
        XCTAssertEqual(deadlines(m, at: 7000, inFlight: 1, hasOutput: true), .resetAfterWriteTimeout)
    }

    func testClosingResponseThenLingerThenClose() {
        var m = machine()
        m.closingResponseQueued(abort: false)
        XCTAssertEqual(summary(m), "draining(peer open)")
        XCTAssertFalse(m.isReading)
        // Reading transitions are ignored once reading has stopped.
        m.expectBody(head, length: 10, now: 1)
        XCTAssertEqual(summary(m), "draining(peer open)")
        // No head, body or idle deadline while draining.
        XCTAssertEqual(deadlines(m, at: 100_000, hasOutput: true), .none)
        XCTAssertEqual(m.outputWritten(now: 1000, nothingInFlight: false, stopping: false), .none)
        XCTAssertEqual(m.outputWritten(now: 1000, nothingInFlight: true, stopping: false), .linger)
        XCTAssertEqual(summary(m), "lingering(1500)")
        XCTAssertEqual(m.outputWritten(now: 1100, nothingInFlight: true, stopping: false), .none)
        XCTAssertEqual(deadlines(m, at: 1499), .none)
        XCTAssertEqual(deadlines(m, at: 1500), .close)
        // The peer's FIN while lingering ends it at once.
        XCTAssertEqual(m.inputEnded(nothingPending: true), .close)
        XCTAssertTrue(m.close())
        XCTAssertFalse(m.close())
        XCTAssertTrue(m.isClosed)
        XCTAssertEqual(deadlines(m, at: 100_000), .none)
    }

    func testNoLingerWhenAbortingThePeerIsGoneOrLingerIsOff() {
        var abort = machine()
        abort.reset(reject: true)
        XCTAssertEqual(summary(abort), "draining(peer open, abort)")
        XCTAssertEqual(abort.outputWritten(now: 10, nothingInFlight: true, stopping: false), .close)

        var gone = machine()
        XCTAssertEqual(gone.inputEnded(nothingPending: false), .none)
        XCTAssertEqual(summary(gone), "draining(peer gone)")
        XCTAssertEqual(gone.outputWritten(now: 10, nothingInFlight: true, stopping: false), .close)

        var off = machine(linger: 0)
        off.stopReading()
        XCTAssertEqual(off.outputWritten(now: 10, nothingInFlight: true, stopping: false), .close)
    }

    func testStoppingShortensTheLinger() {
        var m = machine()
        m.stopReading()
        XCTAssertEqual(m.outputWritten(now: 1000, nothingInFlight: true, stopping: true), .linger)
        XCTAssertEqual(summary(m), "lingering(1100)")
    }

    /// An end (the peer's FIN, the server's shutdown) closes an idle connection at once; a busy
    /// one (a head partly read) drains, and closes once nothing is pending.
    private func assertClosesIdleAndDrainsBusy(
        _ end: (inout ConnectionStateMachine, _ nothingPending: Bool) -> ConnectionStateMachine.Action, draining: String,
        line: UInt = #line
    ) {
        var idle = machine()
        XCTAssertEqual(end(&idle, true), .close, line: line)
        var busy = machine()
        busy.headBytesBuffered(now: 5)
        XCTAssertEqual(end(&busy, false), .none, line: line)
        XCTAssertEqual(summary(busy), draining, line: line)
        XCTAssertEqual(end(&busy, true), .close, line: line)
    }

    func testPeerFINWhileReadingOrDraining() {
        assertClosesIdleAndDrainsBusy({ $0.inputEnded(nothingPending: $1) }, draining: "draining(peer gone)")

        var draining = machine()
        draining.closingResponseQueued(abort: true)
        XCTAssertEqual(draining.inputEnded(nothingPending: false), .none)
        XCTAssertEqual(summary(draining), "draining(peer gone, abort)")
    }

    func testShutdownLetsAnArrivingBodyFinishAsTheLastRequest() {
        var m = machine()
        m.expectBody(head, length: 10, now: 0)
        XCTAssertEqual(m.beginShutdown(nothingPending: true), .none)
        XCTAssertEqual(summary(m), "body(10@0) last")
        XCTAssertTrue(m.isLastRequest)
        m.bodyReceived()
        XCTAssertTrue(m.isLastRequest)  // the connection stops reading when it dispatches it
    }

    func testShutdownClosesIdleAndDrainsBusy() {
        assertClosesIdleAndDrainsBusy({ $0.beginShutdown(nothingPending: $1) }, draining: "draining(peer open)")

        var lingering = machine()
        lingering.stopReading()
        _ = lingering.outputWritten(now: 0, nothingInFlight: true, stopping: false)
        XCTAssertEqual(lingering.beginShutdown(nothingPending: true), .close)

        var closed = machine()
        _ = closed.close()
        XCTAssertEqual(closed.beginShutdown(nothingPending: true), .none)
    }

    // MARK: Backpressure

    func testRequestsAreParsedOnlyWhileFewerThanTheBoundAreUnanswered() {
        let m = machine()
        XCTAssertTrue(m.mayParse(inFlight: 0))
        XCTAssertTrue(m.mayParse(inFlight: 3))
        XCTAssertFalse(m.mayParse(inFlight: 4))
        XCTAssertFalse(m.mayParse(inFlight: 9))
    }

    func testOutputOverTheHighWaterMarkPausesReadingUntilItDrainsToTheLowWaterMark() {
        var m = machine()
        m.outputQueued(pending: 999)
        XCTAssertTrue(m.mayParse(inFlight: 0), "under the high-water mark")
        m.outputQueued(pending: 1000)
        XCTAssertTrue(m.outputPaused)
        XCTAssertFalse(m.mayParse(inFlight: 0), "no request is parsed or read while output is over the mark")
        // Draining, but not yet to the low-water mark: still paused; queuing more keeps it paused.
        XCTAssertFalse(m.outputSent(pending: 600))
        m.outputQueued(pending: 400)
        XCTAssertFalse(m.outputSent(pending: 251))
        XCTAssertFalse(m.mayParse(inFlight: 0))
        // Down to the mark: reading resumes, once (the next call is not a new resume).
        XCTAssertTrue(m.outputSent(pending: 250))
        XCTAssertTrue(m.mayParse(inFlight: 0))
        XCTAssertFalse(m.outputSent(pending: 0))
        // Without a pause, written output is no resume either.
        XCTAssertFalse(m.outputSent(pending: 0))
    }

    func testPausedConnectionThatDoesNotDrainIsResetAtTheWriteTimeout() {
        var m = machine()
        m.headBytesBuffered(now: 100)  // a pipelined head waits in the buffer
        m.outputQueued(pending: 5000)
        m.writeBlocked(now: 100)
        // The head is not parsed while paused: its deadline waits; the write deadline governs.
        XCTAssertEqual(deadlines(m, at: 1100, hasOutput: true), .none)
        XCTAssertEqual(deadlines(m, at: 3099, hasOutput: true), .none)
        XCTAssertEqual(deadlines(m, at: 3100, hasOutput: true), .resetAfterWriteTimeout)
        // Progress that stays over the low-water mark does not restart the write deadline.
        XCTAssertFalse(m.outputSent(pending: 4000))
        m.writeBlocked(now: 2000)
        XCTAssertEqual(deadlines(m, at: 3100, hasOutput: true), .resetAfterWriteTimeout)
    }

    func testOutputDrainedToTheLowWaterMarkRestartsTheWriteDeadline() {
        var m = machine()
        m.outputQueued(pending: 5000)
        m.writeBlocked(now: 0)
        // A slow reader that keeps draining is not cut off as long as it reaches the mark in time.
        XCTAssertTrue(m.outputSent(pending: 200))
        XCTAssertNil(m.writeBlockedSince)
        m.outputQueued(pending: 1200)
        m.writeBlocked(now: 2500)
        XCTAssertEqual(deadlines(m, at: 5000, hasOutput: true), .none)
        XCTAssertEqual(deadlines(m, at: 5500, hasOutput: true), .resetAfterWriteTimeout)
    }

    // MARK: Empty lines

    func testEmptyLinesAreNotActivity() {
        var m = machine(now: 0)
        // A CRLF every 100 ms: the idle deadline still runs from the start.
        for t in stride(from: Int64(100), through: 300, by: 100) {
            XCTAssertEqual(m.emptyLinesSkipped(1, nothingPending: true), .none)
            m.noHeadBuffered()
            XCTAssertEqual(deadlines(m, at: t), .none)
        }
        XCTAssertEqual(deadlines(m, at: 5000), .close)
        // A request's first byte is activity, and starts a new count of empty lines.
        var r = machine(now: 0)
        XCTAssertEqual(r.emptyLinesSkipped(3, nothingPending: true), .none)
        r.headBytesBuffered(now: 4000)
        XCTAssertEqual(r.lastActivity, 4000)
        XCTAssertEqual(r.emptyLines, 0)
        r.headParsed()
        XCTAssertEqual(deadlines(r, at: 5000), .none)
        XCTAssertEqual(deadlines(r, at: 9000), .close)
    }

    func testTooManyEmptyLinesEndTheConnection() {
        var m = machine()
        XCTAssertEqual(m.emptyLinesSkipped(2, nothingPending: true), .none)
        XCTAssertEqual(m.emptyLinesSkipped(1, nothingPending: true), .none)
        XCTAssertEqual(summary(m), "head(-)")
        XCTAssertEqual(m.emptyLinesSkipped(1, nothingPending: true), .close)
        XCTAssertFalse(m.isReading)

        // With answers owed, those are finished first, then the connection closes (no lingering).
        var busy = machine()
        XCTAssertEqual(busy.emptyLinesSkipped(10, nothingPending: false), .none)
        XCTAssertEqual(summary(busy), "draining(peer open, abort)")
        XCTAssertEqual(busy.outputWritten(now: 10, nothingInFlight: true, stopping: false), .close)
    }
}

extension ConnectionStateMachine {
    /// A deadline rejection queued and encoded, as `Connection.reject` + `drainReady` do it.
    fileprivate mutating func reset(reject: Bool) {
        stopReading()
        closingResponseQueued(abort: reject)
    }
}
