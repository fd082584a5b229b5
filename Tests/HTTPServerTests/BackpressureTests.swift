import Dispatch
import RelayTestSupport
import XCTest

@testable import HTTPServer

#if canImport(Glibc)
import Glibc
#endif

/// Output backpressure and empty lines over real loopback sockets (issue 12, items 9 and 10).
final class BackpressureTests: ServerTestCase {
    /// Answers every request from its head with a 404 carrying `bodyBytes` bytes.
    struct NotFound: HTTPHandler {
        var bodyBytes = 8 * 1024
        func head(_ head: HTTPRequestHead) -> HTTPResponse? {
            head.path == "/ok" ? nil : HTTPResponse(status: 404, body: [UInt8](repeating: 0x6E, count: bodyBytes))
        }
        func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
            respond(HTTPResponse(status: 200, text: "ok"))
        }
    }

    /// Answers every request from its head with its own path.
    struct EchoPath: HTTPHandler {
        func head(_ head: HTTPRequestHead) -> HTTPResponse? { HTTPResponse(status: 200, text: head.path) }
        func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
            respond(HTTPResponse(status: 500, text: "not reached"))
        }
    }

    /// A connection parses at most `maxRequestsPerTurn` requests per loop turn and continues on
    /// the next (edge-triggered: what it left in its buffer and socket is not reported again):
    /// 1,000 pipelined requests in one write, answered from the head, all come back in order.
    func testALongPipelineIsAnsweredInOrderAcrossTurns() throws {
        let server = try startServer(EchoPath()) { $0.maxRequestsPerTurn = 4 }
        let c = try client(server)
        try c.send((0..<1_000).map { get("/r\($0)") }.joined())
        for i in 0..<1_000 {
            let r = try XCTUnwrap(try c.readResponse(), "response \(i)")
            XCTAssertEqual(r.text, "/r\(i)")
            if r.text != "/r\(i)" { break }
        }
        try c.send(get("/last"))
        XCTAssertEqual(try c.readResponse()?.text, "/last")
    }

    /// Clients that pipeline `GET /nope` and never read push the server's output against its
    /// high-water mark, not into its memory: this process's RSS (the server runs in it) stays
    /// within 64 MiB of its start while a reading client keeps getting answers.
    func testNonReadingPipelinersAreNotReadPastTheHighWaterMark() throws {
        let server = try startServer(NotFound()) { $0.eventLoops = 2 }
        let legit = try client(server, timeoutMillis: 5000)
        try legit.send(get("/ok"))
        XCTAssertEqual((try legit.readResponse())?.status, 200)
        let startKiB = try XCTUnwrap(residentKiB())

        // Small send buffers: the flood is what the server reads, not what waits in the kernel.
        var sendBuffer: Int32 = 64 * 1024
        let flooders = try (0..<20).map { _ in
            let c = try client(server)
            setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &sendBuffer, socklen_t(MemoryLayout<Int32>.size))
            return c
        }
        let stream = Array(String(repeating: get("/nope"), count: 128).utf8)
        let stop = LockedBox(false)
        let peakKiB = LockedBox(startKiB)
        let flood = Thread {
            var offsets = Array(repeating: 0, count: flooders.count)
            let deadline = DispatchTime.now().uptimeNanoseconds + 4_000_000_000
            while DispatchTime.now().uptimeNanoseconds < deadline && !stop.value {
                var progressed = false
                for (i, c) in flooders.enumerated() {
                    let off = offsets[i]
                    let n = stream.withUnsafeBytes {
                        Glibc.send(c.fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
                    }
                    if n > 0 {
                        offsets[i] = (off + n) % stream.count
                        progressed = true
                    }
                }
                if !progressed { usleep(1000) }
                if let rss = residentKiB() {
                    peakKiB.value = max(peakKiB.value, rss)
                    if rss - startKiB > 512 * 1024 { stop.value = true }  // the bug: stop before it takes the machine
                }
            }
            stop.value = true
        }
        flood.start()
        var answered = 0
        var slowest = 0
        while !stop.value {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try legit.send(get("/ok"))
            guard (try legit.readResponse())?.status == 200 else { break }
            slowest = max(slowest, millisSince(t0))
            answered += 1
        }
        while flood.isExecuting { usleep(10_000) }
        let growthMiB = (peakKiB.value - startKiB) / 1024
        print(
            "backpressure (in process): 20 non-reading pipeliners, 8 KiB 404s, 4 s: RSS +\(growthMiB) MiB; "
                + "\(answered) answers, slowest \(slowest) ms")
        if !Sanitizers.address { XCTAssertLessThan(growthMiB, 64, "RSS grew by \(growthMiB) MiB") }
        XCTAssertGreaterThan(answered, 50, "the reading client was starved")
    }

    /// A client that reads late still gets every pipelined answer: reading pauses and resumes,
    /// nothing is dropped.
    func testPausedConnectionResumesAndAnswersEverythingInOrder() throws {
        let server = try startServer(NotFound(bodyBytes: 8000)) {
            $0.outputHighWaterBytes = 4096
            $0.outputLowWaterBytes = 1024
        }
        let c = try client(server)
        var window: Int32 = 64 * 1024
        setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &window, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &window, socklen_t(MemoryLayout<Int32>.size))
        let count = 4000  // about 1 MB of requests and 32 MB of answers, far past the socket buffers
        let padding = "X-Pad: " + String(repeating: "p", count: 200) + "\r\n"
        let sent = LockedBox(0)
        let sender = Thread {
            for i in 0..<count {
                try? c.send(get("/nope\(i)", padding))
                sent.value = i + 1
            }
            try? c.send(get("/ok", "Connection: close\r\n"))
        }
        sender.start()
        usleep(500_000)
        // The server stopped reading once the socket buffers (up to 4 MB here) and its high-water
        // mark were full: the sender is blocked, far from done.
        XCTAssertLessThan(sent.value, count * 3 / 4, "the server kept reading a peer that does not read")
        for i in 0..<count {
            guard let r = (try c.readResponse()) else { return XCTFail("connection ended at answer \(i)") }
            XCTAssertEqual(r.status, 404)
            XCTAssertEqual(r.body.count, 8000)
        }
        XCTAssertEqual((try c.readResponse())?.text, "ok")
        XCTAssertTrue(c.waitForClose())
    }

    /// A paused connection whose peer never reads is reset at the write timeout.
    func testPausedConnectionThatNeverDrainsIsClosedAtTheWriteTimeout() throws {
        let server = try startServer(NotFound()) { $0.writeTimeout = .milliseconds(500) }
        let c = try client(server, timeoutMillis: 200)
        let stream = Array(String(repeating: get("/nope"), count: 64).utf8)
        let started = DispatchTime.now().uptimeNanoseconds
        var resetAfter: Int?
        while millisSince(started) < 3000 {
            let n = stream.withUnsafeBytes { Glibc.send(c.fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            if n < 0 && errno != EAGAIN {
                resetAfter = millisSince(started)
                break
            }
            usleep(20_000)
        }
        let after = try XCTUnwrap(resetAfter, "the connection was never closed")
        XCTAssertGreaterThanOrEqual(after, 400)
        XCTAssertLessThan(after, 2500)
    }

    // MARK: Empty lines (RFC 9112 §2.2)

    func testCRLFEvery100msIsClosedAtTheIdleTimeout() throws { try assertCRLFsEndAtTheIdleTimeout(afterAnAnswer: false) }

    func testCRLFAfterAnAnswerDoesNotKeepTheConnectionAlive() throws { try assertCRLFsEndAtTheIdleTimeout(afterAnAnswer: true) }

    /// A CRLF every 100 ms, on a fresh connection or after an answered request, is not activity:
    /// the idle timeout (500 ms) closes the connection (seen within 0.4-1.5 s). The bound on empty
    /// lines is raised so that only the idle timeout can close.
    private func assertCRLFsEndAtTheIdleTimeout(afterAnAnswer: Bool, line: UInt = #line) throws {
        let server = try startServer {
            $0.idleTimeout = .milliseconds(500)
            $0.maxEmptyLines = 1000
        }
        let c = try client(server)
        if afterAnAnswer {
            try c.send(get("/"))
            XCTAssertEqual((try c.readResponse())?.status, 200, line: line)
        }
        XCTAssertEqual(closedAfterCRLFs(c, every: 100, upTo: 3000).map { $0 >= 400 && $0 < 1500 }, true, line: line)
    }

    func testMoreEmptyLinesThanTheBoundCloseTheConnection() throws {
        let server = try startServer {
            $0.idleTimeout = .seconds(10)
            $0.maxEmptyLines = 8
        }
        // Up to the bound, then a request: answered.
        let ok = try client(server)
        try ok.send(String(repeating: "\r\n", count: 8) + get("/a"))
        XCTAssertEqual((try ok.readResponse())?.text, "GET /a ")
        // One more: closed at once, no answer.
        let c = try client(server, timeoutMillis: 2000)
        let started = DispatchTime.now().uptimeNanoseconds
        try c.send(String(repeating: "\r\n", count: 9))
        XCTAssertTrue(c.waitForClose())
        XCTAssertLessThan(millisSince(started), 1500)
        // A request in flight is still answered before the close.
        let busy = try client(server, timeoutMillis: 2000)
        try busy.send(get("/b") + String(repeating: "\r\n", count: 20))
        XCTAssertEqual((try busy.readResponse())?.text, "GET /b ")
        XCTAssertTrue(busy.waitForClose())
    }

    /// Sends a CRLF every `every` ms until the server closes; the milliseconds that took, nil if
    /// it did not close within `upTo`.
    private func closedAfterCRLFs(_ c: RawConnection, every: Int, upTo: Int) -> Int? {
        let started = DispatchTime.now().uptimeNanoseconds
        while millisSince(started) < upTo {
            let n = Glibc.send(c.fd, "\r\n", 2, Int32(MSG_NOSIGNAL))
            var probe = pollfd(fd: c.fd, events: Int16(POLLIN), revents: 0)
            if n < 0 || (poll(&probe, 1, Int32(every)) > 0 && c.waitForClose()) { return millisSince(started) }
        }
        return nil
    }
}

/// VmRSS of this process in KiB, from /proc/self/status.
func residentKiB() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
    return nil
}
