import RelayCore

#if canImport(Glibc)
import Glibc
#endif

/// One accepted TCP connection: its read buffer, ordered response queue and lifecycle
/// (`ConnectionStateMachine`: reading, draining, lingering, closed, with their deadlines). Not
/// Sendable: created, used and closed only on its event loop's thread (checked in debug builds
/// at the entry points the loop calls: `onEvent`, `deliver`, `flush`, `checkDeadlines`,
/// `beginShutdown`, `close`).
///
/// Input is read edge-triggered into one buffer that is compacted, not reallocated; heads are
/// parsed in place and bodies copied out once. Requests are numbered; responses are queued by
/// number and written in order, so a pipelined client sees answers in request order whichever
/// thread responds first.
final class Connection {
    let fd: Int32
    let id: UInt32
    let peer: String
    /// The loop owns its connections and closes them all before it ends, so the reference
    /// cannot dangle; `unowned(unsafe)` skips the reference-count check on every access.
    unowned(unsafe) let loop: EventLoop
    let config: ConnectionLimits
    /// The loop's thread (the connection is created there, so the first check claims it).
    let owner = ThreadOwnership("Connection")

    struct Slot {
        var response: HTTPResponse?
        var keepAlive = true
        var isHEAD = false
        var http10 = false
        /// An interim `100 Continue`, always ready.
        var isContinue = false
        /// Close without lingering after this response (deadline rejections).
        var abort = false
    }

    // Input.
    var buffer: UnsafeMutableRawBufferPointer
    var start = 0
    var end = 0
    var scanFrom = 0

    // Responses in request order; `slots[0]` answers request number `firstSeq`.
    var slots: [Slot] = []
    var firstSeq = 0
    var nextSeq = 0

    // Fairness: requests parsed in the loop's turn `turnSeen` (`maxRequestsPerTurn` at most).
    var turnSeen: UInt64 = 0
    var turnParsed = 0

    // Output.
    var output: [UInt8] = []
    var outputSent = 0
    var isDirty = false

    /// Lifecycle and deadlines; every transition goes through it.
    var machine: ConnectionStateMachine

    init(fd: Int32, id: UInt32, peer: String, loop: EventLoop) {
        self.fd = fd
        self.id = id
        self.peer = peer
        self.loop = loop
        self.config = loop.limits
        self.machine = ConnectionStateMachine(timeouts: loop.limits.timeouts, bounds: loop.limits.bounds, now: loop.now)
        self.buffer = .allocate(byteCount: Connection.initialBufferBytes, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    static let initialBufferBytes = 4096
    /// Leftover output capacity kept between responses; more is released.
    static let retainedOutputBytes = 64 * 1024

    var hasPendingOutput: Bool { outputSent < output.count }
    var closed: Bool { machine.isClosed }
    /// No request in flight and no output left.
    var nothingPending: Bool { slots.isEmpty && !hasPendingOutput }

    /// Handles readiness reported by epoll.
    func onEvent(_ events: UInt32) {
        owner.check()
        if events & Sys.EPOLLERR != 0 {
            close()
            return
        }
        if events & (Sys.EPOLLRDHUP | Sys.EPOLLHUP) != 0 { machine.hangupSeen = true }
        if events & (Sys.EPOLLIN | Sys.EPOLLRDHUP | Sys.EPOLLHUP) != 0 {
            readInput()
        }
        if !closed, events & Sys.EPOLLOUT != 0, hasPendingOutput {
            flush()
        }
    }

    /// Reads until the socket is drained (edge-triggered) or no further request may be parsed,
    /// parsing as bytes arrive. A short read means drained unless the peer has hung up (its EOF
    /// must be read), which saves a read per request.
    func readInput() {
        while !closed {
            guard machine.isReading else {
                discardInput()
                return
            }
            // This turn's requests are parsed: what is buffered or unread waits for the next turn.
            guard !turnSpent else { return }
            // Pipeline full or output over its high-water mark: leave input in the socket (TCP
            // then stops the peer) until an answer or a drained output makes room.
            guard machine.mayParse(inFlight: slots.count), makeRoom() else {
                machine.readPaused = true
                return
            }
            let room = buffer.count - end
            let result: Sys.IO
            do {
                result = try Sys.read(fd, buffer.baseAddress! + end, room)
            } catch {
                close()
                return
            }
            switch result {
            case .wouldBlock:
                machine.readPaused = false
                return
            case .done(0):
                machine.readPaused = false
                peerDidClose()
                return
            case .done(let n):
                end += n  // not activity by itself: empty lines are not (`process`)
                machine.readPaused = false
                process()
                if n < room && !machine.hangupSeen { return }
            }
        }
    }

    /// Reads and drops input after the last request (lingering close, or waiting to close).
    /// Bounded per call so a flooding peer cannot hold the loop; the linger deadline ends it.
    func discardInput() {
        start = 0
        end = 0
        for _ in 0..<16 {
            guard let r = try? Sys.read(fd, buffer.baseAddress!, buffer.count) else {
                close()
                return
            }
            switch r {
            case .wouldBlock: return
            case .done(0):
                peerDidClose()
                return
            case .done: continue
            }
        }
    }

    /// Makes room at the end of the buffer: reset, compact, then grow up to the largest head
    /// plus the largest body. False when full of input that cannot be parsed yet.
    func makeRoom() -> Bool {
        if start == end {
            start = 0
            end = 0
        }
        if end < buffer.count { return true }
        if start > 0 {
            let base = buffer.baseAddress!
            memmove(base, base + start, end - start)
            end -= start
            start = 0
            return true
        }
        let limit = config.maxHeadBytes + config.maxBodyBytes + 1024
        guard buffer.count < limit else { return false }
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: min(buffer.count * 2, limit), alignment: 16)
        bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: end)
        buffer.deallocate()
        buffer = bigger
        return true
    }

    /// The peer sent FIN: answer what is in flight, drop any partial request, then close.
    func peerDidClose() {
        if machine.inputEnded(nothingPending: nothingPending) == .close { close() }
    }

    /// Closes the socket at once (epoll forgets it with the descriptor) and leaves the loop.
    func close() {
        owner.check()
        guard machine.close() else { return }
        Sys.close(fd)
        loop.connectionClosed(self)
    }
}
