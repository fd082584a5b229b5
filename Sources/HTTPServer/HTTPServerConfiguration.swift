import RelayCore

/// Where an `HTTPServer` listens and the limits and deadlines it enforces on every connection.
/// Every limit has a named default here rather than a literal in the code; deadlines are
/// `Duration`s (the loops count whole milliseconds of CLOCK_MONOTONIC_COARSE).
public struct HTTPServerConfiguration: Sendable {
    /// An IPv4 or IPv6 literal (`127.0.0.1`, `::1`, `0.0.0.0`, `[::1]`) or `localhost`.
    public var host: String = "127.0.0.1"
    /// 0 binds an ephemeral port; `HTTPServer.port` tells which.
    public var port: Int = 8080
    /// Threads running epoll loops; loop 0 accepts and hands connections out round-robin.
    public var eventLoops: Int = 1
    /// Over it a new connection gets `rejection(.tooManyConnections)` and is closed at once.
    public var maxConnections: Int = 4096
    /// Request line plus headers, CRLFs included; over it: 431 and close.
    public var maxHeadBytes: Int = 16 * 1024
    /// Header fields per request; over it: 431 and close.
    public var maxHeaderCount: Int = 100
    /// Checked against Content-Length before the body is read; over it: 413 and close.
    public var maxBodyBytes: Int = 8 * 1024
    /// From the first byte of a request to the end of its head (slowloris); then 408 and close.
    public var headTimeout: Duration = .seconds(10)
    /// From the end of the head to the end of the body; then 408 and close.
    public var bodyTimeout: Duration = .seconds(10)
    /// A keep-alive connection with nothing in flight is closed after this long.
    public var idleTimeout: Duration = .seconds(60)
    /// Pending output must drain within this long once the peer stops reading.
    public var writeTimeout: Duration = .seconds(10)
    /// Requests per connection handed to the handler but not yet answered; further input waits.
    public var maxPipelinedRequests: Int = 16
    /// After a closing response, unread input is drained this long so the peer sees the
    /// response rather than a reset.
    public var linger: Duration = .seconds(2)
    /// `listen(2)` backlog.
    public var backlog: Int = 1024
    /// Unsent output at which a connection stops being read: no further request is parsed or read
    /// until it drains to `outputLowWaterBytes`, so a client that pipelines without reading costs
    /// the server at most this plus one response; if it does not drain within the write timeout,
    /// the connection is reset.
    public var outputHighWaterBytes: Int = 64 * 1024
    /// Reading resumes once unsent output is down to this (at most `outputHighWaterBytes`).
    public var outputLowWaterBytes: Int = 16 * 1024
    /// Empty lines (CRLF) accepted before a request line (RFC 9112 §2.2); one more ends the
    /// connection. They never count as activity, so they do not hold an idle connection open.
    public var maxEmptyLines: Int = 8
    /// Requests one connection may have parsed per turn of its event loop; past it the connection
    /// yields and continues on the next turn, so a client pipelining thousands of requests takes
    /// its turn like every other connection instead of holding the loop (and every request on it)
    /// for the whole of its input.
    public var maxRequestsPerTurn: Int = 4
    /// `SO_SNDBUF` of accepted connections (the kernel doubles it for its bookkeeping); 0 keeps
    /// the kernel's autotuning (up to `net.ipv4.tcp_wmem`, 4 MiB on Linux by default). Bounded,
    /// a client that stops reading holds at most this much of the server's kernel memory and
    /// can extract no more answers than fit in it, its window and `outputHighWaterBytes`.
    public var socketSendBufferBytes: Int = 128 * 1024

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        eventLoops: Int = 1,
        maxConnections: Int = 4096,
        maxHeadBytes: Int = 16 * 1024,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 8 * 1024,
        headTimeout: Duration = .seconds(10),
        bodyTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60),
        writeTimeout: Duration = .seconds(10),
        maxPipelinedRequests: Int = 16,
        linger: Duration = .seconds(2),
        backlog: Int = 1024,
        outputHighWaterBytes: Int = 64 * 1024,
        outputLowWaterBytes: Int = 16 * 1024,
        maxEmptyLines: Int = 8,
        maxRequestsPerTurn: Int = 4,
        socketSendBufferBytes: Int = 128 * 1024
    ) {
        self.host = host
        self.port = port
        self.eventLoops = eventLoops
        self.maxConnections = maxConnections
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.maxPipelinedRequests = maxPipelinedRequests
        self.linger = linger
        self.backlog = backlog
        self.outputHighWaterBytes = outputHighWaterBytes
        self.outputLowWaterBytes = outputLowWaterBytes
        self.maxEmptyLines = maxEmptyLines
        self.maxRequestsPerTurn = maxRequestsPerTurn
        self.socketSendBufferBytes = socketSendBufferBytes
    }

    /// The same configuration with every value clamped to something the server can run with.
    var normalized: HTTPServerConfiguration {
        var c = self
        c.eventLoops = max(1, min(c.eventLoops, 64))
        c.maxConnections = max(1, c.maxConnections)
        c.maxHeadBytes = max(64, c.maxHeadBytes)
        c.maxHeaderCount = max(1, c.maxHeaderCount)
        c.maxBodyBytes = max(0, c.maxBodyBytes)
        c.headTimeout = max(.milliseconds(1), c.headTimeout)
        c.bodyTimeout = max(.milliseconds(1), c.bodyTimeout)
        c.idleTimeout = max(.milliseconds(1), c.idleTimeout)
        c.writeTimeout = max(.milliseconds(1), c.writeTimeout)
        c.maxPipelinedRequests = max(1, c.maxPipelinedRequests)
        c.linger = max(.zero, c.linger)
        c.backlog = max(1024, c.backlog)
        c.outputHighWaterBytes = max(1024, c.outputHighWaterBytes)
        c.outputLowWaterBytes = max(0, min(c.outputLowWaterBytes, c.outputHighWaterBytes))
        c.maxEmptyLines = max(0, c.maxEmptyLines)
        c.maxRequestsPerTurn = max(1, c.maxRequestsPerTurn)
        c.socketSendBufferBytes = c.socketSendBufferBytes <= 0 ? 0 : max(4096, c.socketSendBufferBytes)
        return c
    }

    /// How often each loop checks deadlines: a tenth of the shortest one, 5 to 250 ms.
    var sweepIntervalMillis: Int {
        let shortest = [
            headTimeout, bodyTimeout, idleTimeout, writeTimeout, max(linger, .milliseconds(1)),
        ].min()!
        return max(5, min(250, Int(shortest.wholeMilliseconds) / 10))
    }
}

/// The numbers of a configuration without its strings, copied into each connection so the
/// hot path reads plain integers (no retain of `host`, no indirection through the loop).
struct ConnectionLimits {
    let maxHeadBytes: Int
    let maxHeaderCount: Int
    let maxBodyBytes: Int
    let maxPipelinedRequests: Int
    let maxRequestsPerTurn: Int
    let parser: RequestParser.Limits
    let timeouts: ConnectionStateMachine.Timeouts
    let bounds: ConnectionStateMachine.Bounds

    init(_ c: HTTPServerConfiguration) {
        maxHeadBytes = c.maxHeadBytes
        maxHeaderCount = c.maxHeaderCount
        maxBodyBytes = c.maxBodyBytes
        maxPipelinedRequests = c.maxPipelinedRequests
        maxRequestsPerTurn = c.maxRequestsPerTurn
        parser = RequestParser.Limits(maxHeadBytes: c.maxHeadBytes, maxHeaderCount: c.maxHeaderCount)
        timeouts = ConnectionStateMachine.Timeouts(
            head: c.headTimeout.wholeMilliseconds, body: c.bodyTimeout.wholeMilliseconds,
            idle: c.idleTimeout.wholeMilliseconds, write: c.writeTimeout.wholeMilliseconds,
            linger: c.linger.wholeMilliseconds)
        bounds = ConnectionStateMachine.Bounds(
            maxInFlight: c.maxPipelinedRequests, outputHighWater: c.outputHighWaterBytes,
            outputLowWater: c.outputLowWaterBytes, maxEmptyLines: c.maxEmptyLines)
    }
}
