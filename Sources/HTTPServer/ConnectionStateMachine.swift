/// The lifecycle of one connection as a value: what it is doing, the deadline that bounds it,
/// and every transition in one place. `Connection` does the I/O and the parsing, tells the
/// machine what happened and does what it answers; no socket is involved here, so the machine is
/// tested on its own (`ConnectionStateMachineTests`).
///
/// Times are loop milliseconds (`EventLoop.now`, CLOCK_MONOTONIC_COARSE). A deadline that is not
/// running is absent (nil or another case), never 0.
struct ConnectionStateMachine {
    /// The deadlines, in milliseconds (from `ConnectionLimits`).
    struct Timeouts: Equatable {
        var head: Int64
        var body: Int64
        var idle: Int64
        var write: Int64
        /// 0: no lingering close.
        var linger: Int64
    }

    /// What one connection may hold before it is no longer read (from `ConnectionLimits`).
    struct Bounds: Equatable {
        /// Requests handed to the handler and not yet answered; at this many no request is parsed.
        var maxInFlight: Int
        /// Unsent output bytes at which reading pauses (no request parsed, no byte read)...
        var outputHighWater: Int
        /// ...until output drains to this.
        var outputLowWater: Int
        /// Empty lines accepted before one request line; one more stops reading.
        var maxEmptyLines: Int
    }

    enum State {
        /// Reading requests.
        case reading(Reading)
        /// No further request is read (one closes the connection, the peer sent FIN, or the server
        /// is stopping); what is in flight is answered, then the connection ends.
        /// `abortAfterFlush`: the closing response is a deadline rejection, so no lingering.
        case draining(peerClosed: Bool, abortAfterFlush: Bool)
        /// Everything is written and the write side is shut down; input is read and dropped until
        /// the peer closes or `until` passes.
        case lingering(until: Int64)
        case closed
    }

    struct Reading {
        var request: Request
        /// The request being read is the last one (the server is stopping).
        var isLast = false
    }

    /// Where the request being read is.
    enum Request {
        /// Waiting for a head; `startedAt` is when its first byte arrived (nil: none is buffered).
        case head(startedAt: Int64?)
        /// Boxed (`indirect`): the state is read and rewritten for every request, and a head held
        /// inline made each of those a copy of all its strings (retains, releases, a large move).
        indirect case body(HTTPRequestHead, length: Int, startedAt: Int64)
        /// Skipping the body of a request answered early (`HTTPHandler.head`).
        case discard(remaining: Int, startedAt: Int64)
    }

    /// What the connection must do after a transition.
    enum Action: Equatable {
        case none
        /// Close the socket now.
        case close
        /// Pending output did not drain in time: log, then close with a reset.
        case resetAfterWriteTimeout
        /// Queue the application's rejection and stop reading.
        case reject(HTTPRejection)
        /// Shut the write side down and drain input (the machine is now `.lingering`).
        case linger
    }

    let timeouts: Timeouts
    let bounds: Bounds
    private(set) var state: State = .reading(Reading(request: .head(startedAt: nil)))
    /// The last read or completed write, for the idle deadline.
    private(set) var lastActivity: Int64
    /// When the socket first refused pending output; nil once it is all written or, after
    /// backpressure, drained to the low-water mark.
    private(set) var writeBlockedSince: Int64?
    /// Unsent output passed the high-water mark: nothing is read or parsed until it drains.
    private(set) var outputPaused = false
    /// Empty lines since the last request line (or the start).
    private(set) var emptyLines = 0
    /// epoll reported the peer's FIN; it will not report it again (edge-triggered).
    var hangupSeen = false
    /// Input was left in the socket (pipeline or buffer full); read again when room frees up.
    var readPaused = false

    init(timeouts: Timeouts, bounds: Bounds, now: Int64) {
        self.timeouts = timeouts
        self.bounds = bounds
        self.lastActivity = now
    }

    // MARK: Questions

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// Requests are still read (not draining, lingering or closed).
    var isReading: Bool {
        if case .reading = state { return true }
        return false
    }

    /// The request being read, while reading.
    var request: Request? {
        if case .reading(let r) = state { return r.request }
        return nil
    }

    var isLastRequest: Bool {
        if case .reading(let r) = state { return r.isLast }
        return false
    }

    /// Whether a further request may be parsed (or read) now: fewer than `maxInFlight`
    /// unanswered and output not over its high-water mark.
    func mayParse(inFlight: Int) -> Bool { !outputPaused && inFlight < bounds.maxInFlight }

    // MARK: Reading requests (no-ops once reading has stopped)

    /// Bytes of a request arrived (or a write completed): the idle clock restarts.
    mutating func activity(now: Int64) { lastActivity = now }

    /// Part of a head is buffered; its deadline starts with its first byte, which is activity.
    mutating func headBytesBuffered(now: Int64) {
        guard case .reading(var r) = state, case .head(nil) = r.request else { return }
        r.request = .head(startedAt: now)
        state = .reading(r)
        lastActivity = now
        emptyLines = 0
    }

    /// `count` empty lines (CRLF) arrived before a request line. They are not activity: no
    /// deadline restarts. Past `maxEmptyLines` no further request is read: `.close` when
    /// `nothingPending`, else what is in flight is answered first (without lingering).
    mutating func emptyLinesSkipped(_ count: Int, nothingPending: Bool) -> Action {
        guard count > 0, case .reading = state else { return .none }
        emptyLines += count
        guard emptyLines > bounds.maxEmptyLines else { return .none }
        state = .draining(peerClosed: false, abortAfterFlush: true)
        return nothingPending ? .close : .none
    }

    /// No byte of a next request is buffered: no head deadline runs.
    mutating func noHeadBuffered() {
        updateReading { r in r.request = .head(startedAt: nil) }
    }

    /// A head was parsed (the next state follows from `expectBody`, `discardBody` or nothing).
    mutating func headParsed() {
        updateReading { r in r.request = .head(startedAt: nil) }
    }

    /// The head announced a body of `length` bytes to read.
    mutating func expectBody(_ head: HTTPRequestHead, length: Int, now: Int64) {
        updateReading { r in r.request = .body(head, length: length, startedAt: now) }
    }

    /// The head was answered early; its `length` body bytes are read and dropped.
    mutating func discardBody(length: Int, now: Int64) {
        updateReading { r in r.request = .discard(remaining: length, startedAt: now) }
    }

    /// The body being read is complete.
    mutating func bodyReceived() {
        updateReading { r in r.request = .head(startedAt: nil) }
    }

    /// `n` bytes of a discarded body were dropped; true when it is all gone.
    mutating func bodyBytesDiscarded(_ n: Int) -> Bool {
        guard case .reading(var r) = state, case .discard(let remaining, let startedAt) = r.request else { return true }
        r.request = remaining > n ? .discard(remaining: remaining - n, startedAt: startedAt) : .head(startedAt: nil)
        state = .reading(r)
        return remaining <= n
    }

    /// No further request is read (a closing request or response, a rejection).
    mutating func stopReading() {
        if case .reading = state { state = .draining(peerClosed: false, abortAfterFlush: false) }
    }

    /// A response that closes the connection was encoded; `abort`: close without lingering.
    mutating func closingResponseQueued(abort: Bool) {
        switch state {
        case .reading: state = .draining(peerClosed: false, abortAfterFlush: abort)
        case .draining(let peerClosed, _): state = .draining(peerClosed: peerClosed, abortAfterFlush: abort)
        case .lingering, .closed: break
        }
    }

    // MARK: The peer, the output, the deadlines, the server

    /// The peer sent FIN (a read returned 0). `nothingPending`: no request in flight and no
    /// output left. What is in flight is still answered; a partial request is dropped.
    mutating func inputEnded(nothingPending: Bool) -> Action {
        switch state {
        case .reading:
            state = .draining(peerClosed: true, abortAfterFlush: false)
            return nothingPending ? .close : .none
        case .draining(_, let abort):
            state = .draining(peerClosed: true, abortAfterFlush: abort)
            return nothingPending ? .close : .none
        case .lingering:
            return .close
        case .closed:
            return .none
        }
    }

    /// The socket refused pending output: the write deadline starts (if it is not running).
    mutating func writeBlocked(now: Int64) {
        if writeBlockedSince == nil { writeBlockedSince = now }
    }

    /// Responses were encoded: `pending` bytes are unsent. At the high-water mark reading pauses.
    mutating func outputQueued(pending: Int) {
        if pending >= bounds.outputHighWater { outputPaused = true }
    }

    /// Output was written and `pending` bytes remain. True when that ends a pause (down to the
    /// low-water mark): the connection may read and parse again, and the write deadline, which
    /// bounds how long output may take to drain, stops.
    mutating func outputSent(pending: Int) -> Bool {
        guard outputPaused, pending <= bounds.outputLowWater else { return false }
        outputPaused = false
        writeBlockedSince = nil
        return true
    }

    /// All pending output is written. `nothingInFlight`: no response is owed. Once no request is
    /// read either, the connection ends: at once when the peer is gone or was too slow, else by
    /// lingering (the next state), shorter when the server is `stopping`.
    mutating func outputWritten(now: Int64, nothingInFlight: Bool, stopping: Bool) -> Action {
        writeBlockedSince = nil
        lastActivity = now
        guard nothingInFlight, case .draining(let peerClosed, let abort) = state else { return .none }
        if peerClosed || abort || timeouts.linger == 0 { return .close }
        // Shutting down, a peer that keeps the connection open is not waited for long.
        state = .lingering(until: now + (stopping ? min(timeouts.linger, 100) : timeouts.linger))
        return .linger
    }

    /// Checks the head, body, idle, write and linger deadlines. `inFlight`: requests not yet
    /// answered; `hasOutput`: output not yet written. While no further request may be parsed
    /// (`mayParse`), the head deadline waits: the write deadline bounds a peer that does not read.
    func checkDeadlines(now: Int64, inFlight: Int, hasOutput: Bool) -> Action {
        switch state {
        case .closed:
            return .none
        case .lingering(let until):
            return now >= until ? .close : .none
        case .draining, .reading:
            if let since = writeBlockedSince, now - since >= timeouts.write { return .resetAfterWriteTimeout }
        }
        guard case .reading(let r) = state else { return .none }
        switch r.request {
        case .head(let startedAt?):
            return mayParse(inFlight: inFlight) && now - startedAt >= timeouts.head ? .reject(.requestTimeout) : .none
        case .head(nil):
            return inFlight == 0 && !hasOutput && now - lastActivity >= timeouts.idle ? .close : .none
        case .body(_, _, let startedAt), .discard(_, let startedAt):
            return now - startedAt >= timeouts.body ? .reject(.requestTimeout) : .none
        }
    }

    /// The server is stopping. A request whose body is arriving may still complete (it becomes
    /// the last); otherwise close now if nothing is owed, or stop reading and finish what is.
    mutating func beginShutdown(nothingPending: Bool) -> Action {
        switch state {
        case .closed:
            return .none
        case .reading(var r):
            if case .body = r.request {
                r.isLast = true
                state = .reading(r)
                return .none
            }
            if nothingPending { return .close }
            state = .draining(peerClosed: false, abortAfterFlush: false)
            return .none
        case .draining:
            return nothingPending ? .close : .none
        case .lingering:
            return .close
        }
    }

    /// The socket is being closed; false when it already was.
    mutating func close() -> Bool {
        if isClosed { return false }
        state = .closed
        return true
    }

    private mutating func updateReading(_ body: (inout Reading) -> Void) {
        guard case .reading(var r) = state else { return }
        body(&r)
        state = .reading(r)
    }
}
