import RelayCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// State every loop of one server shares: the connection count behind the cap, the loops'
/// mailboxes for handing out accepted sockets, and the logger.
final class ServerShared: Sendable {
    let maxConnections: Int
    let logger: Logger?
    private let connections = Atomic<Int>(0)

    init(maxConnections: Int, logger: Logger?) {
        self.maxConnections = maxConnections
        self.logger = logger
    }

    /// Counts a new connection unless the cap is reached.
    func admit() -> Bool {
        if connections.wrappingAdd(1, ordering: .relaxed).newValue > maxConnections {
            connections.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() { connections.wrappingSubtract(1, ordering: .relaxed) }
    var connectionCount: Int { connections.load(ordering: .relaxed) }
}

/// One epoll loop on its own thread, owning the connections handed to it.
///
/// `@unchecked Sendable`: the loop is created on the starting thread and then touched only by
/// its own thread in `run()`; every other thread reaches it through `mailbox` (Sendable,
/// Mutex-guarded). Connections and buffers are never shared across threads. Debug builds check
/// it: `run()` claims `owner` for the loop's thread and the entry points the loop's own code
/// calls trap when reached from another thread (`ThreadOwnership`; nothing in release builds).
final class EventLoop: @unchecked Sendable {
    /// The loop's thread, from `run()` on.
    let owner = ThreadOwnership("EventLoop")
    let index: Int
    let config: HTTPServerConfiguration
    let limits: ConnectionLimits
    let handler: any HTTPHandler
    let mailbox: Mailbox
    let shared: ServerShared
    /// This loop as a `CompletionExecutor`, handed to the application with each request.
    let executor: LoopExecutor
    /// Every loop's mailbox, for loop 0 to hand accepted sockets round-robin.
    var peers: [Mailbox] = []

    let epollFD: Int32
    var listenFD: Int32 = -1
    var acceptPausedUntil: Int64 = 0
    var roundRobin = 0

    private var connections: [Connection?] = []
    private var liveConnections = 0
    private var nextID: UInt32 = 0
    private var dirty: [Connection] = []
    /// Connections whose output drained after backpressure; they read again on the next turn.
    private var resumed: [Connection] = []
    private var resuming: [Connection] = []
    private var inbox: [Mailbox.Item] = []
    private let events: UnsafeMutableRawPointer
    private static let eventCapacity: Int32 = 256

    private(set) var now: Int64 = 0
    /// Counts the loop's turns (one per epoll wait): a connection's per-turn request budget.
    private(set) var turn: UInt64 = 0
    private(set) var date = DateHeader()
    private(set) var stopping = false
    /// Every connection ended before the stop deadline (read after the loop's thread is joined).
    private(set) var drainedInTime = false
    private var stopDeadline: Int64 = 0
    private var nextSweep: Int64 = 0

    init(index: Int, config: HTTPServerConfiguration, handler: any HTTPHandler, shared: ServerShared) throws(SystemError) {
        self.index = index
        self.config = config
        self.limits = ConnectionLimits(config)
        self.handler = handler
        self.shared = shared
        let mailbox = try Mailbox()
        self.mailbox = mailbox
        self.executor = LoopExecutor(mailbox: mailbox)
        self.epollFD = try Sys.epollCreate()
        events = .allocate(byteCount: Int(EventLoop.eventCapacity) * Sys.epollEventSize, alignment: 16)
        try Sys.epollAdd(epollFD, mailbox.eventFD, events: Sys.EPOLLIN)
    }

    deinit {
        events.deallocate()
        Sys.close(epollFD)
    }

    /// The server's logger, if any (messages and fields are autoclosures: a disabled level costs
    /// a load).
    var logger: Logger? { shared.logger }

    /// Makes this loop the acceptor for `fd` (level-triggered: accepts a batch per wake-up).
    func attachListener(_ fd: Int32) throws(SystemError) {
        listenFD = fd
        try Sys.epollAdd(epollFD, fd, events: Sys.EPOLLIN)
    }

    /// The loop: wait, handle socket events, then mailbox items, write what is ready, check
    /// deadlines. Returns after a stop once every connection is gone or the deadline passed.
    func run() {
        owner.claim()
        executor.attach(self)
        now = monotonicMillis()
        date.refresh()
        nextSweep = now + Int64(config.sweepIntervalMillis)
        while true {
            let timeout: Int32 = !resumed.isEmpty || mailbox.prepareToSleep() ? 0 : waitTimeout()
            let n: Int
            do {
                n = try Sys.epollWait(epollFD, events, EventLoop.eventCapacity, timeoutMillis: timeout)
            } catch {
                logger?.warning("http.epoll_failed", ["error": .string(error.description)])
                usleep(10_000)  // not a busy loop if epoll itself is broken
                n = 0
            }
            now = monotonicMillis()
            turn &+= 1
            date.refresh()
            // First, with this turn's budget: connections that yielded or drained last turn.
            if !resumed.isEmpty { resumeReading() }
            for i in 0..<n {
                let (flags, fd) = Sys.epollEvent(events, i)
                if fd == mailbox.eventFD {
                    Sys.eventfdDrain(fd)
                } else if fd == listenFD {
                    acceptConnections()
                } else if Int(fd) < connections.count, let c = connections[Int(fd)] {
                    c.onEvent(flags)
                }
            }
            mailbox.take(into: &inbox)
            for item in inbox { receive(item) }
            inbox.removeAll(keepingCapacity: true)
            if now >= nextSweep {
                sweep()
                nextSweep = now + Int64(config.sweepIntervalMillis)
            }
            flushDirty()
            if stopping && (liveConnections == 0 || now >= stopDeadline) { break }
        }
        drainedInTime = liveConnections == 0
        forEachConnection { $0.hasPendingOutput ? $0.reset() : $0.close() }
        for item in mailbox.close() {
            switch item {
            case .adopt(let fd, _):
                Sys.close(fd)
                shared.release()
            case .complete(let batch):
                // Their connections are gone, so responses go nowhere, but the completions'
                // own work (counting, logging) still happens.
                for c in batch { c.complete() }
            case .response, .stop:
                break
            }
        }
        if listenFD >= 0 { closeListener() }
    }

    private func waitTimeout() -> Int32 {
        if liveConnections == 0 && !stopping && acceptPausedUntil == 0 { return -1 }
        return Int32(clamping: max(0, nextSweep - now))
    }

    private func receive(_ item: Mailbox.Item) {
        owner.check()
        switch item {
        case .response(let fd, let id, let seq, let response):
            if Int(fd) < connections.count, let c = connections[Int(fd)], c.id == id {
                c.deliver(seq: seq, response)
            }
        case .complete(let batch):
            executor.completing = true
            for c in batch { c.complete() }
            executor.completing = false
        case .adopt(let fd, let peer):
            adopt(fd: fd, peer: peer)
        case .stop(let deadline):
            guard !stopping else { return }
            stopping = true
            stopDeadline = now + max(0, deadline.remaining.wholeMilliseconds)
            if listenFD >= 0 { closeListener() }
            forEachConnection { $0.beginShutdown() }
        }
    }

    /// Takes ownership of an accepted, non-blocking socket.
    func adopt(fd: Int32, peer: String) {
        owner.check()
        if stopping {
            Sys.close(fd)
            shared.release()
            return
        }
        do {
            try Sys.epollAdd(epollFD, fd, events: Sys.EPOLLIN | Sys.EPOLLOUT | Sys.EPOLLRDHUP | Sys.EPOLLET)
        } catch {
            logger?.warning("http.adopt_failed", ["error": .string(error.description)])
            Sys.close(fd)
            shared.release()
            return
        }
        nextID &+= 1
        let c = Connection(fd: fd, id: nextID, peer: peer, loop: self)
        if Int(fd) >= connections.count {
            connections.append(contentsOf: repeatElement(nil, count: Int(fd) + 64 - connections.count))
        }
        connections[Int(fd)] = c
        liveConnections += 1
    }

    /// Called by a connection that has closed its socket.
    func connectionClosed(_ c: Connection) {
        owner.check()
        if Int(c.fd) < connections.count, connections[Int(c.fd)] === c {
            connections[Int(c.fd)] = nil
            liveConnections -= 1
            shared.release()
        }
    }

    /// Visits connections by index: `body` may close them, which edits the table.
    private func forEachConnection(_ body: (Connection) -> Void) {
        var i = 0
        while i < connections.count {
            if let c = connections[i] { body(c) }
            i += 1
        }
    }

    func markDirty(_ c: Connection) {
        owner.check()
        guard !c.isDirty else { return }
        c.isDirty = true
        dirty.append(c)
    }

    /// Reading resumes on the next turn for `c`, whose output drained to its low-water mark.
    func resumeLater(_ c: Connection) {
        owner.check()
        resumed.append(c)
    }

    private func resumeReading() {
        swap(&resumed, &resuming)
        for c in resuming where !c.closed { c.resumeReading() }
        resuming.removeAll(keepingCapacity: true)
    }

    private func flushDirty() {
        var i = 0
        while i < dirty.count {  // flushing may dirty others (none today); index, not iterator
            let c = dirty[i]
            c.isDirty = false
            if !c.closed { c.flush() }
            i += 1
        }
        dirty.removeAll(keepingCapacity: true)
    }

    private func sweep() {
        forEachConnection { $0.checkDeadlines(now: now) }
        if acceptPausedUntil != 0 && now >= acceptPausedUntil && listenFD >= 0 {
            acceptPausedUntil = 0
            try? Sys.epollAdd(epollFD, listenFD, events: Sys.EPOLLIN)
        }
    }

    /// Calls the handler; the response returns through this loop's mailbox, or directly when the
    /// handler responds from a completion running on this loop.
    func dispatch(_ request: HTTPRequest, to c: Connection, seq: Int) {
        owner.check()
        let executor = self.executor
        let fd = c.fd, id = c.id
        handler.handle(request) { response in
            executor.respond(.response(fd: fd, id: id, seq: seq, response))
        }
    }

    /// A response for one of this loop's connections, on this loop's thread.
    func deliver(_ item: Mailbox.Item) { receive(item) }

    private func closeListener() {
        Sys.epollDelete(epollFD, listenFD)
        Sys.close(listenFD)
        listenFD = -1
    }
}

/// An event loop as a `CompletionExecutor`: completions are posted to its mailbox and run on its
/// thread; a response produced by one of them is written without a second trip through the
/// mailbox (and the loop turn that would cost).
///
/// `@unchecked Sendable`: `completing` and `loop` are used on the loop's thread only (checked
/// through `thread` before either is touched); the mailbox is Sendable.
public final class LoopExecutor: CompletionExecutor, @unchecked Sendable {
    let mailbox: Mailbox
    private let thread = Atomic<UInt>(0)
    /// The loop is running a `.complete` batch (set and read on the loop's thread only).
    var completing = false
    /// Dereferenced only on the loop's own thread, while it runs, so it cannot dangle.
    private unowned(unsafe) var loop: EventLoop?

    init(mailbox: Mailbox) { self.mailbox = mailbox }

    /// Called by the loop on its thread before it runs.
    func attach(_ loop: EventLoop) {
        self.loop = loop
        thread.store(UInt(pthread_self()), ordering: .releasing)
    }

    public func execute(_ batch: [any DeferredCompletion]) {
        if !mailbox.post(.complete(batch)) {
            for c in batch { c.complete() }  // the loop has ended: run them here (their responses are dropped)
        }
    }

    /// Delivers a response item: directly when called from a completion on the loop's thread.
    func respond(_ item: Mailbox.Item) {
        if thread.load(ordering: .acquiring) == UInt(pthread_self()), completing, let loop {
            loop.deliver(item)
        } else {
            mailbox.post(item)
        }
    }
}

/// Milliseconds of CLOCK_MONOTONIC_COARSE (a few ms of resolution is plenty for deadlines).
func monotonicMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
