import Foundation
import HTTPServer
import RelayCore
import RelayTestSupport
import Synchronization
import XCTest

@testable import Transport

/// A loopback server (the project's epoll HTTPServer, one loop) that answers every request after
/// `delayMillis`, counting connections by peer port.
private final class SlowServer: HTTPHandler {
    let delayMillis: Int
    let peers = Mutex<Set<String>>([])
    let timer = DispatchQueue(label: "slow-server-timer")

    init(delayMillis: Int) { self.delayMillis = delayMillis }

    func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let peer = request.head.peerAddress
        peers.withLock { _ = $0.insert(peer) }
        let body = request.body
        timer.asyncAfter(deadline: .now() + .milliseconds(delayMillis)) {
            respond(HTTPResponse(status: 200, headers: [("Content-Type", "text/plain")], body: body))
        }
    }
}

private func threadCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1
}

final class CurlMultiTests: XCTestCase {
    /// A started server for `handler`, stopped after the test.
    private func startServer(_ handler: SlowServer) throws -> HTTPServer {
        var c = HTTPServerConfiguration()
        c.port = 0
        c.eventLoops = 1
        c.maxConnections = 8192
        c.backlog = 4096
        let s = HTTPServer(configuration: c, handler: handler, logger: nil)
        try s.start()
        addTeardownBlock { _ = s.shutdown(by: .now + .seconds(2)) }
        return s
    }

    /// A started driver, stopped after the test.
    private func startMulti() -> CurlMulti {
        let multi = CurlMulti(name: "test-curl")
        multi.start()
        addTeardownBlock { multi.shutdown(by: .now + .seconds(2)) }
        return multi
    }

    /// Hundreds of slow transfers at once on one driver thread: they overlap (the whole run takes
    /// about one delay, not hundreds), every answer reaches its own completion, and the process
    /// gains no thread per transfer.
    func testManySlowTransfersOverlapOnOneThread() throws {
        let server = try startServer(SlowServer(delayMillis: 300))
        let multi = startMulti()

        let n = 400
        let threadsBefore = threadCount()
        let done = DispatchGroup()
        let ok = Atomic<Int>(0)
        let peakInFlight = Atomic<Int>(0)
        let t0 = monotonicNanos()
        for i in 0..<n {
            done.enter()
            let body = Array("job-\(i)".utf8)
            let request = HTTPClientRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/send", body: body)
            multi.perform(http: request, configuration: HTTPClientConfiguration()) { end in
                if case .completed(.success(let r)) = end, r.status == 200, r.body == body { ok.add(1, ordering: .relaxed) }
                done.leave()
            }
        }
        // Sample while they are in flight.
        var threadsDuring = 0
        for _ in 0..<20 {
            usleep(10_000)
            peakInFlight.store(max(peakInFlight.load(ordering: .relaxed), multi.inFlight), ordering: .relaxed)
            threadsDuring = max(threadsDuring, threadCount())
        }
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        let seconds = Double(monotonicNanos() - t0) / 1e9
        XCTAssertEqual(ok.load(ordering: .relaxed), n, "every transfer got its own answer")
        XCTAssertGreaterThan(peakInFlight.load(ordering: .relaxed), n / 2, "the transfers were in flight together")
        XCTAssertLessThan(seconds, 10, "\(n) transfers of 300 ms overlapped (one after another: 120 s)")
        XCTAssertLessThanOrEqual(threadsDuring - threadsBefore, 6, "no thread per transfer")
        XCTAssertEqual(multi.inFlight, 0)
    }

    /// Consecutive transfers to one host reuse the driver's connections.
    func testConnectionsAreReusedAcrossTransfers() throws {
        let handler = SlowServer(delayMillis: 1)
        let server = try startServer(handler)
        let multi = startMulti()
        for _ in 0..<5 {
            let done = DispatchGroup()
            for _ in 0..<4 {
                done.enter()
                multi.perform(
                    http: HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/"), configuration: HTTPClientConfiguration()
                ) { _ in done.leave() }
            }
            XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        }
        XCTAssertLessThanOrEqual(handler.peers.withLock { $0.count }, 4, "20 requests, 4 at a time, over at most 4 connections")
    }

    /// A request refused by the URL policy completes with the error and never reaches the network;
    /// a stop with a transfer in flight past the deadline ends it `.aborted`.
    func testRefusedRequestsAndAbortAtTheStopDeadline() throws {
        let multi = CurlMulti(name: "test-curl")
        multi.start()
        let refused = DispatchSemaphore(value: 0)
        multi.perform(http: HTTPClientRequest(url: "http://example.com/"), configuration: HTTPClientConfiguration()) { end in
            if case .completed(.failure(let e)) = end, e.kind == .protocolNotAllowed { refused.signal() }
        }
        XCTAssertEqual(refused.wait(timeout: .now() + 5), .success)

        let handler = SlowServer(delayMillis: 5_000)
        let server = try startServer(handler)
        let aborted = DispatchSemaphore(value: 0)
        multi.perform(http: HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/"), configuration: HTTPClientConfiguration()) {
            end in
            if case .aborted = end { aborted.signal() }
        }
        while handler.peers.withLock({ $0.isEmpty }) { usleep(5_000) }
        let t0 = monotonicNanos()
        XCTAssertFalse(multi.shutdown(by: .now + .milliseconds(300)), "one transfer had to be aborted")
        XCTAssertLessThan(Double(monotonicNanos() - t0) / 1e9, 3, "the stop kept its deadline")
        XCTAssertEqual(aborted.wait(timeout: .now() + 1), .success)
        // After the stop, work is refused at once.
        let late = DispatchSemaphore(value: 0)
        multi.perform(http: HTTPClientRequest(url: "http://127.0.0.1:1/"), configuration: HTTPClientConfiguration()) { end in
            if case .aborted = end { late.signal() }
        }
        XCTAssertEqual(late.wait(timeout: .now() + 1), .success)
    }
}
