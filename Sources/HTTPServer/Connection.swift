#if canImport(Glibc)
import Glibc
#endif

/// One accepted TCP connection: its read buffer, parse state, ordered response queue and
/// deadlines. Not Sendable: created, used and closed only on its event loop's thread.
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

    enum Phase {
        case head
        case body(HTTPRequestHead, length: Int)
        /// Skipping the body of a request answered early (`HTTPHandler.head`).
        case discard(remaining: Int)
    }

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
    var phase = Phase.head

    // Responses in request order; `slots[0]` answers request number `firstSeq`.
    var slots: [Slot] = []
    var firstSeq = 0
    var nextSeq = 0

    // Output.
    var output: [UInt8] = []
    var outputSent = 0
    var isDirty = false

    // Lifecycle.
    /// No further request is read: one is closing the connection, or the peer or server is done.
    var noMoreRequests = false
    var peerClosed = false
    /// Input was left in the socket (pipeline or buffer full); read again when room frees up.
    var readPaused = false
    var lingering = false
    var abortAfterFlush = false
    private(set) var closed = false

    // Deadlines, in loop milliseconds; 0 when not running.
    var requestStartedAt: Int64 = 0
    var bodyStartedAt: Int64 = 0
    var lastActivity: Int64
    var writeBlockedSince: Int64 = 0
    var lingerUntil: Int64 = 0

    init(fd: Int32, id: UInt32, peer: String, loop: EventLoop) {
        self.fd = fd
        self.id = id
        self.peer = peer
        self.loop = loop
        self.config = loop.limits
        self.lastActivity = loop.now
        self.buffer = .allocate(byteCount: Connection.initialBufferBytes, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    static let initialBufferBytes = 4096
    /// Leftover output capacity kept between responses; more is released.
    static let retainedOutputBytes = 64 * 1024

    var hasPendingOutput: Bool { outputSent < output.count }

    /// Handles readiness reported by epoll.
    func onEvent(_ events: UInt32) {
        if events & Sys.EPOLLERR != 0 {
            close()
            return
        }
        if events & (Sys.EPOLLIN | Sys.EPOLLRDHUP | Sys.EPOLLHUP) != 0 {
            readInput(drainFully: events & (Sys.EPOLLRDHUP | Sys.EPOLLHUP) != 0)
        }
        if !closed, events & Sys.EPOLLOUT != 0, hasPendingOutput {
            flush()
        }
    }

    /// Reads until the socket is drained (edge-triggered), parsing as bytes arrive. A short read
    /// means drained unless the peer also hung up, which saves a read per request.
    func readInput(drainFully: Bool) {
        while !closed {
            if noMoreRequests {
                discardInput()
                return
            }
            guard slots.count < config.maxPipelinedRequests, makeRoom() else {
                readPaused = true
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
                readPaused = false
                return
            case .done(0):
                readPaused = false
                peerDidClose()
                return
            case .done(let n):
                end += n
                lastActivity = loop.now
                readPaused = false
                process()
                if n < room && !drainFully { return }
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
                peerClosed = true
                if lingering || (slots.isEmpty && !hasPendingOutput) { close() }
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
        peerClosed = true
        noMoreRequests = true
        if slots.isEmpty && !hasPendingOutput { close() }
    }

    /// Closes the socket at once (epoll forgets it with the descriptor) and leaves the loop.
    func close() {
        guard !closed else { return }
        closed = true
        Sys.close(fd)
        loop.connectionClosed(self)
    }
}
