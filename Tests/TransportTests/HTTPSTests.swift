import Foundation
import RelayTestSupport
import XCTest

@testable import Transport

/// HTTPS against a loopback server with a certificate made at test time (openssl CLI).
final class HTTPSTests: XCTestCase {
    var dir: URL!
    var fake: FakeProcess!
    var cert: String { dir.appendingPathComponent("cert.pem").path }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("otp-relay-https-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let key = dir.appendingPathComponent("key.pem").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        fake = try FakeProcess(script: "fake_http.py", arguments: ["127.0.0.1", cert, key])
    }

    override func tearDown() {
        fake?.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    func testVerifiedHTTPSWithPrivateCA() throws {
        let client = HTTPClient(configuration: .init(allowPlainHTTPToLoopback: false, caFile: cert))
        let a = try client.perform(HTTPClientRequest(url: "https://127.0.0.1:\(fake.port)/echo"))
        let b = try client.perform(HTTPClientRequest(url: "https://localhost:\(fake.port)/echo"))
        XCTAssertEqual(a.status, 200)
        XCTAssertEqual(b.status, 200)
    }

    func testUntrustedCertificateFails() throws {
        XCTAssertThrowsError(try HTTPClient().perform(HTTPClientRequest(url: "https://127.0.0.1:\(fake.port)/echo"))) { e in
            XCTAssertEqual((e as? TransportError)?.kind, .tls)
        }
    }

    func testPlainHTTPToTLSServerIsNotAcceptedAsSuccess() throws {
        XCTAssertThrowsError(try HTTPClient().perform(HTTPClientRequest(url: "http://127.0.0.1:\(fake.port)/echo")))
    }
}
