import RelayCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on POSIX sockets and epoll: keep-alive, pipelining, `100-continue`,
/// strict framing (no request smuggling), size limits, per-request deadlines and a connection
/// cap. The application plugs in through `HTTPHandler`.
///
/// A `LifecycleComponent`: `start()` binds and starts `eventLoops` threads; `shutdown(by:)` stops
/// accepting, closes idle connections, lets in-flight requests get their responses until the
/// deadline, closes the rest and joins the threads.
public final class HTTPServer: LifecycleComponent {
    public let configuration: HTTPServerConfiguration
    /// For logs and the service's start-up and shutdown order ("public http", "admin http").
    public let lifecycleName: String
    private let handler: any HTTPHandler
    private let logger: Logger?
    private let state = Mutex(State.idle)
    private let boundPort = Atomic<Int>(0)

    private enum State {
        case idle
        case running(loops: [EventLoop], threads: [pthread_t])
        case stopped
    }

    /// - Parameters:
    ///   - name: the component's name in logs and in the service's lifecycle.
    ///   - logger: receives the server's `http.*` events; nil logs nothing.
    public init(
        name: String = "http", configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
        handler: any HTTPHandler, logger: Logger? = nil
    ) {
        self.lifecycleName = name
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
    }

    /// A server dropped while running stops at once rather than leaking its threads.
    deinit {
        shutdown(by: .now)
    }

    /// The bound port (useful after binding port 0); 0 before `start()`.
    public var port: Int { boundPort.load(ordering: .acquiring) }

    /// Binds the listener and starts the event-loop threads. Throws `HTTPServerError`.
    public func start() throws {
        try state.withLock { state in
            guard case .idle = state else { throw HTTPServerError.alreadyStarted }
            _ = Sys.ignoreSIGPIPE
            let config = configuration.normalized
            let listener: (fd: Int32, port: Int)
            do {
                listener = try Socket.listen(host: config.host, port: config.port, backlog: config.backlog)
            } catch let e as SystemError {
                throw HTTPServerError.system(e)
            }
            let shared = ServerShared(maxConnections: config.maxConnections, logger: logger)
            var loops: [EventLoop] = []
            do throws(SystemError) {
                for i in 0..<config.eventLoops {
                    loops.append(try EventLoop(index: i, config: config, handler: handler, shared: shared))
                }
                let mailboxes = loops.map(\.mailbox)
                for loop in loops { loop.peers = mailboxes }
                try loops[0].attachListener(listener.fd)
            } catch {
                Sys.close(listener.fd)
                throw HTTPServerError.system(error)
            }
            var threads: [pthread_t] = []
            for loop in loops {
                do throws(SystemError) {
                    threads.append(try HTTPServer.spawn { loop.run() })
                } catch {
                    // Threads already running stop on their own once told to.
                    for started in loops.prefix(threads.count) { started.mailbox.post(.stop(by: .now)) }
                    for t in threads { pthread_join(t, nil) }
                    if threads.isEmpty { Sys.close(listener.fd) }
                    throw HTTPServerError.system(error)
                }
            }
            boundPort.store(listener.port, ordering: .releasing)
            state = .running(loops: loops, threads: threads)
            logger?.info(
                "http.listening",
                ["host": .string(config.host), "port": .int(Int64(listener.port)), "event_loops": .int(Int64(loops.count))])
        }
    }

    /// The running loops (tests).
    var loopsForTesting: [EventLoop] {
        state.withLock { state in
            guard case .running(let loops, _) = state else { return [] }
            return loops
        }
    }

    /// The running loops' executors (tests).
    var loopExecutorsForTesting: [LoopExecutor] {
        state.withLock { state in
            guard case .running(let loops, _) = state else { return [] }
            return loops.map(\.executor)
        }
    }

    /// Stops accepting, closes idle connections, lets in-flight requests finish until `deadline`,
    /// then closes everything and joins the loop threads. Returns whether every connection ended
    /// before the deadline (true when the server was not running). Idempotent.
    /// Must not be called from a handler on a loop thread (it would wait for itself).
    @discardableResult
    public func shutdown(by deadline: Deadline) -> Bool {
        let taken: ([EventLoop], [pthread_t])? = state.withLock { state in
            guard case .running(let loops, let threads) = state else {
                state = .stopped
                return nil
            }
            state = .stopped
            return (loops, threads)
        }
        guard let (loops, threads) = taken else { return true }
        for loop in loops { loop.mailbox.post(.stop(by: deadline)) }
        let me = pthread_self()
        var joined = true
        for t in threads {
            if pthread_equal(t, me) == 0 { pthread_join(t, nil) } else { joined = false }
        }
        // After the joins each loop's flag is final (pthread_join orders the reads after it).
        let inTime = joined && loops.allSatisfy(\.drainedInTime)
        logger?.info("http.stopped", ["in_time": .bool(inTime)])
        return inTime
    }

    /// Runs `body` on a new joinable thread (the body travels through `Unmanaged`).
    private static func spawn(_ body: @escaping @Sendable () -> Void) throws(SystemError) -> pthread_t {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { arg in
                Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
                return nil
            }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SystemError(call: "pthread_create", errno: rc)
        }
        return thread
    }
}
