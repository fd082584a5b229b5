import Foundation
import RelayTestSupport
import Synchronization
import XCTest

@testable import Transport

/// HTTP/2 through the multi driver against a real h2 server: nginx on loopback with TLS (a test
/// certificate for 127.0.0.1) and ALPN, its access log naming each request's connection and protocol.
final class CurlMultiHTTP2Tests: XCTestCase {
    /// Twenty requests started at once on a fresh driver go over ONE connection as HTTP/2 streams
    /// (CURLPIPE_MULTIPLEX, CURLOPT_PIPEWAIT: the later ones wait for the first connection's ALPN
    /// instead of opening their own), each reaching its own completion with its own answer; a
    /// second wave reuses that connection.
    func testConcurrentRequestsAreMultiplexedOverOneConnection() throws {
        guard NginxProcess.isInstalled else {
            throw XCTSkip("nginx is not installed (scripts/install-deps --test installs nginx-light)")
        }
        let dir = TempDirectory("curl-h2")
        let (cert, key) = try makeSelfSignedCertificate(in: dir)
        let port = try freeLoopbackPort()
        let nginx = try NginxProcess(
            directory: dir.file("nginx"),
            httpBlock: """
                log_format h2 '$connection $server_protocol $request_method $uri';
                server {
                    listen 127.0.0.1:\(port) ssl http2;
                    ssl_certificate \(cert);
                    ssl_certificate_key \(key);
                    access_log \(dir.file("nginx"))/access.log h2;
                    default_type text/plain;
                    location / { return 200 'ok $uri'; }
                }
                """)
        defer { nginx.stop() }
        try nginx.waitUntilListening(port: port)
        let multi = CurlMulti(name: "test-h2")
        multi.start()
        defer { multi.shutdown(by: .now + .seconds(2)) }
        let configuration = HTTPClientConfiguration(caFile: cert)

        func wave(_ name: String, _ n: Int) {
            let done = DispatchGroup()
            let ok = Atomic<Int>(0)
            let failures = Mutex<[String]>([])
            for i in 0..<n {
                done.enter()
                let request = HTTPClientRequest(method: "POST", url: "https://127.0.0.1:\(port)/\(name)/\(i)", body: Array("job-\(i)".utf8))
                multi.perform(http: request, configuration: configuration) { end in
                    if case .completed(.success(let r)) = end, r.status == 200, r.body == Array("ok /\(name)/\(i)".utf8) {
                        ok.add(1, ordering: .relaxed)
                    } else {
                        failures.withLock { $0.append("\(name) \(i): \(end)") }
                    }
                    done.leave()
                }
            }
            XCTAssertEqual(done.wait(timeout: .now() + 20), .success)
            XCTAssertEqual(ok.load(ordering: .relaxed), n, "every stream got its own answer (\(name)): \(failures.withLock { $0 })")
        }
        wave("first", 20)
        wave("second", 10)

        // nginx logs a request once it answered it: wait for all 30 lines.
        var lines: [[Substring]] = []
        for _ in 0..<100 {
            let log = (try? String(contentsOfFile: dir.file("nginx") + "/access.log", encoding: .utf8)) ?? ""
            lines = log.split(separator: "\n").map { $0.split(separator: " ") }
            if lines.count >= 30 { break }
            usleep(20_000)
        }
        XCTAssertEqual(lines.count, 30, nginx.errorLog)
        XCTAssertTrue(lines.allSatisfy { $0.count == 4 && $0[1] == "HTTP/2.0" && $0[2] == "POST" }, "\(lines)")
        XCTAssertEqual(Set(lines.map { $0.first ?? "" }).count, 1, "30 requests, 20 of them at once, over one connection: \(lines)")
    }
}
