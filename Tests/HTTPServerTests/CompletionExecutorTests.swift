import Dispatch
import RelayCore
import RelayTestSupport
import XCTest

@testable import HTTPServer

#if canImport(Glibc)
import Glibc
#endif

/// A completion that records the thread it ran on, then responds.
private final class RecordingCompletion: DeferredCompletion, @unchecked Sendable {
    let respond: @Sendable (HTTPResponse) -> Void
    let text: String
    let ranOn = LockedBox<pthread_t?>(nil)
    init(text: String, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        self.text = text
        self.respond = respond
    }
    func complete() {
        ranOn.value = pthread_self()
        respond(HTTPResponse(status: 200, text: text))
    }
}

/// Hands each request to another thread, which gives the response back through the request's
/// executor (as the outbox writer does for webhook jobs), several requests per hand-over.
private final class HandBackHandler: HTTPHandler, @unchecked Sendable {
    let queue = DispatchQueue(label: "hand-back")
    let handledOn = LockedBox<[pthread_t]>([])
    let completions = LockedBox<[RecordingCompletion]>([])
    private let pending = LockedBox<[(any CompletionExecutor, RecordingCompletion)]>([])
    let batchSize: Int

    init(batchSize: Int) { self.batchSize = batchSize }

    func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let c = RecordingCompletion(text: "done \(request.head.target)", respond: respond)
        let me = pthread_self()
        handledOn.with { $0.append(me) }
        completions.with { $0.append(c) }
        guard let executor = request.executor else { return respond(HTTPResponse(status: 500, text: "no executor")) }
        queue.async { [self] in
            let ready: [(any CompletionExecutor, RecordingCompletion)]? = pending.with { p in
                p.append((executor, c))
                guard p.count >= batchSize else { return nil }
                defer { p.removeAll() }
                return p
            }
            guard let ready else { return }
            // One hand-over per executor, as the writer does.
            var groups: [(any CompletionExecutor, [any DeferredCompletion])] = []
            for (e, c) in ready {
                if let i = groups.firstIndex(where: { $0.0 === e }) { groups[i].1.append(c) } else { groups.append((e, [c])) }
            }
            for (e, batch) in groups { e.execute(batch) }
        }
    }
}

final class CompletionExecutorTests: ServerTestCase {
    /// Completions handed to a request's executor run on the loop that read the request, and
    /// their responses reach the client (pipelined requests answered in order).
    func testCompletionsRunOnTheRequestsLoopAndTheirResponsesAreWritten() throws {
        let handler = HandBackHandler(batchSize: 3)
        let server = try startServer(handler) { $0.eventLoops = 2 }
        let a = try client(server), b = try client(server), c = try client(server)
        try a.send(get("/a1") + get("/a2"))
        try b.send(get("/b1"))
        XCTAssertEqual(try a.readResponse()?.text, "done /a1")
        XCTAssertEqual(try a.readResponse()?.text, "done /a2")
        XCTAssertEqual(try b.readResponse()?.text, "done /b1")
        try c.send(get("/c1"))
        try b.send(get("/b2"))
        try a.send(get("/a3"))
        XCTAssertEqual(try c.readResponse()?.text, "done /c1")
        XCTAssertEqual(try b.readResponse()?.text, "done /b2")
        XCTAssertEqual(try a.readResponse()?.text, "done /a3")
        let handled = handler.handledOn.value, ran = handler.completions.value.map { $0.ranOn.value }
        XCTAssertEqual(handled.count, 6)
        for (h, r) in zip(handled, ran) {
            let r = try XCTUnwrap(r)
            XCTAssertTrue(pthread_equal(h, r) != 0, "a completion ran off its request's loop")
        }
    }

    /// After the server stopped, an executor still runs what it is handed (on the caller's
    /// thread); the responses have nowhere to go and are dropped.
    func testExecutorRunsCompletionsItselfOnceTheLoopHasEnded() throws {
        let handler = HandBackHandler(batchSize: 2)
        let server = try startServer(handler)
        let a = try client(server)
        try a.send(get("/x"))
        let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
        while handler.completions.value.isEmpty && DispatchTime.now().uptimeNanoseconds < deadline { usleep(1_000) }
        let executor = try XCTUnwrap(server.loopExecutorsForTesting.first)
        server.shutdown(by: .now + .milliseconds(200))
        let late = RecordingCompletion(text: "late") { _ in }
        executor.execute([late])
        XCTAssertNotNil(late.ranOn.value)
        XCTAssertTrue(pthread_equal(late.ranOn.value!, pthread_self()) != 0)
    }
}
