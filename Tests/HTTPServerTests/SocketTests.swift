import RelayTestSupport
import XCTest

@testable import HTTPServer

#if canImport(Glibc)
import Glibc
#endif

final class SocketTests: ServerTestCase {
    func testWildcardHostAcceptsLoopback() throws {
        let server = try startServer { $0.host = "0.0.0.0" }
        let c = try RawConnection(port: server.port, host: "127.0.0.1")
        try c.send(get("/any"))
        XCTAssertEqual(try c.readResponse()?.text, "GET /any ")
    }

    func testAcceptedSocketsGetNoDelayAndABoundedSendBuffer() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        Socket.configureAccepted(fd, sendBufferBytes: 128 * 1024)
        var value: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &len)
        XCTAssertEqual(value, 1)
        getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, &len)
        XCTAssertEqual(value, 256 * 1024, "the kernel doubles the value set")
    }

    func testAddressParsing() throws {
        var storage = sockaddr_storage()
        XCTAssertEqual(try Socket.address(host: "127.0.0.1", port: 1, into: &storage).0, AF_INET)
        XCTAssertEqual(try Socket.address(host: "[::1]", port: 1, into: &storage).0, AF_INET6)
        XCTAssertEqual(try Socket.address(host: "::", port: 1, into: &storage).0, AF_INET6)
        XCTAssertEqual(try Socket.address(host: "localhost", port: 1, into: &storage).0, AF_INET)
        XCTAssertThrowsError(try Socket.address(host: "example.com", port: 1, into: &storage))
        XCTAssertThrowsError(try Socket.address(host: "1.2.3", port: 1, into: &storage))
    }

    func testSyscallFunnelReportsCallAndErrno() {
        var scratch: UInt8 = 0
        XCTAssertThrowsError(try Sys.read(-1, &scratch, 1)) { e in
            let error = e as! SystemError
            XCTAssertEqual(error.call, "read")
            XCTAssertEqual(error.errno, EBADF)
        }
        var pair: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue), 0, &pair), 0)
        defer { Glibc.close(pair[0]); Glibc.close(pair[1]) }
        var byte: UInt8 = 0
        XCTAssertEqual(try Sys.read(pair[0], &byte, 1), .wouldBlock)
    }

    func testDefaultRejectionLeaksNothing() throws {
        struct Plain: HTTPHandler {
            func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
                respond(HTTPResponse(status: 200))
            }
        }
        let server = try startServer(Plain())
        let c = try client(server)
        try c.send("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n folded-secret\r\n\r\n")
        let r = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.text, "Bad Request\n")
    }

    func testMailboxRefusesPostsAfterClose() throws {
        let box = try Mailbox()
        XCTAssertTrue(box.post(.stop(by: .now)))
        XCTAssertEqual(box.close().count, 1)
        XCTAssertFalse(box.post(.stop(by: .now)))
    }
}
