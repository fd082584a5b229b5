import Dispatch
import RelayTestSupport
import Synchronization
import XCTest

@testable import HTTPServer

#if canImport(Glibc)
import Glibc
#endif

/// Answers at once with `method path body`; paths under `/reject` are refused in `head`.
struct EchoHandler: HTTPHandler {
    func head(_ head: HTTPRequestHead) -> HTTPResponse? {
        head.path.hasPrefix("/reject") ? HTTPResponse(status: 401, headers: [("WWW-Authenticate", "Basic")], text: "no") : nil
    }

    func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        respond(
            HTTPResponse(
                status: 200, headers: [("Content-Type", "text/plain")],
                text: "\(request.method) \(request.head.target) \(request.bodyText)"))
    }

    func rejection(_ r: HTTPRejection) -> HTTPResponse {
        HTTPResponse(
            status: r.status, headers: [("Content-Type", "application/json")],
            text: "{\"error\":\"\(r.status)\"}")
    }
}

/// Responds from another thread after `X-Delay` milliseconds (default 0).
struct AsyncHandler: HTTPHandler {
    let queue = DispatchQueue(label: "async-handler", attributes: .concurrent)

    func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let delay = request.headers["X-Delay"].flatMap { Int($0) } ?? 0
        let text = "\(request.method) \(request.head.target) \(request.bodyText)"
        queue.asyncAfter(deadline: .now() + .milliseconds(delay)) {
            respond(HTTPResponse(status: 200, text: text))
        }
    }
}

class ServerTestCase: XCTestCase {
    var servers: [HTTPServer] = []

    func startServer(
        _ handler: any HTTPHandler = EchoHandler(),
        configure: (inout HTTPServerConfiguration) -> Void = { _ in }
    ) throws -> HTTPServer {
        var config = HTTPServerConfiguration(port: 0)
        configure(&config)
        let server = HTTPServer(configuration: config, handler: handler)
        try server.start()
        servers.append(server)
        return server
    }

    func client(_ server: HTTPServer, timeoutMillis: Int = 5000) throws -> RawConnection {
        try RawConnection(port: server.port, host: server.configuration.host, timeoutMillis: timeoutMillis)
    }

    override func tearDown() {
        for s in servers { s.shutdown(by: .now + .milliseconds(1000)) }
        servers = []
        super.tearDown()
    }
}

func get(_ path: String, _ extra: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: t\r\n\(extra)\r\n"
}

func post(_ path: String, _ body: String, _ extra: String = "") -> String {
    "POST \(path) HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)"
}

func millisSince(_ start: UInt64) -> Int {
    Int((DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
}
