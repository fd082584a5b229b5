import Foundation
import HTTPServer
import Synchronization

/// Answers after a fixed delay, in arrival order: one thread sleeping until the oldest answer is
/// due (the delay is the same for every request, so a FIFO is the schedule). Thousands of
/// requests wait at once without a thread each; the HTTPServer's event loop writes the answers.
final class DelayedAnswers: Sendable {
    private struct Due {
        let at: UInt64
        let send: @Sendable () -> Void
    }

    private let queue = Mutex<(items: [Due], head: Int)>(([], 0))
    private let wake = DispatchSemaphore(value: 0)
    let delayNanos: UInt64

    init(delayMillis: Int) {
        delayNanos = UInt64(delayMillis) * 1_000_000
        let t = Thread { [self] in run() }
        t.name = "gateway-delay"
        t.start()
    }

    func later(_ send: @escaping @Sendable () -> Void) {
        let first = queue.withLock { q -> Bool in
            q.items.append(Due(at: now() + delayNanos, send: send))
            return q.items.count - q.head == 1
        }
        if first { wake.signal() }
    }

    private func run() {
        while true {
            let (ready, next) = queue.withLock { q -> ([Due], UInt64?) in
                let t = now()
                var out: [Due] = []
                while q.head < q.items.count && q.items[q.head].at <= t {
                    out.append(q.items[q.head])
                    q.head += 1
                }
                if q.head == q.items.count {
                    q.items.removeAll(keepingCapacity: true)
                    q.head = 0
                } else if q.head > 4096 {
                    q.items.removeFirst(q.head)
                    q.head = 0
                }
                return (out, q.head < q.items.count ? q.items[q.head].at : nil)
            }
            for d in ready { d.send() }
            if let next {
                let t = now()
                if next > t { _ = wake.wait(timeout: .now() + .nanoseconds(Int(next - t))) }
            } else {
                wake.wait()
            }
        }
    }
}

/// The fake gateway: records when each job id first arrives; answers 200 like a gateway would,
/// after `delayMillis` when given (a real provider's latency).
final class Gateway: HTTPHandler {
    let received = Mutex<[String: UInt64]>([:])
    let count = Atomic<Int>(0)
    let duplicates = Atomic<Int>(0)
    let delayed: DelayedAnswers?

    init(delayMillis: Int) {
        delayed = delayMillis > 0 ? DelayedAnswers(delayMillis: delayMillis) : nil
    }

    func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let t = now()
        // Body: {"to": "...", "text": "...", "job": "<id>"}; the id is the last quoted value.
        let body = request.body
        var end = body.count - 1
        while end > 0 && body[end] != UInt8(ascii: "\"") { end -= 1 }
        var start = end - 1
        while start > 0 && body[start] != UInt8(ascii: "\"") { start -= 1 }
        let id = start >= 0 && end > start ? String(decoding: body[(start + 1)..<end], as: UTF8.self) : ""
        let first = received.withLock { r -> Bool in
            if r[id] != nil { return false }
            r[id] = t
            return true
        }
        if first { count.add(1, ordering: .relaxed) } else { duplicates.add(1, ordering: .relaxed) }
        let response = HTTPResponse(
            status: 200, headers: [("Content-Type", "application/json")],
            text: "{\"data\":{\"id\":\"gw-\(count.load(ordering: .relaxed))\"}}")
        if let delayed { delayed.later { respond(response) } } else { respond(response) }
    }
}

func startGateway(port: Int, delayMillis: Int = 0) -> (HTTPServer, Gateway) {
    let g = Gateway(delayMillis: delayMillis)
    var c = HTTPServerConfiguration()
    c.port = port
    c.eventLoops = 1
    c.maxConnections = 16_384
    c.backlog = 4_096
    c.idleTimeout = .seconds(120)
    let s = HTTPServer(configuration: c, handler: g, logger: nil)
    do { try s.start() } catch { FileHandle.standardError.write(Data("gateway: \(error)\n".utf8)); exit(1) }
    return (s, g)
}
