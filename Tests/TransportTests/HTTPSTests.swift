import Foundation
import RelayTestSupport
import XCTest

@testable import Transport

/// HTTPS against a loopback server with a certificate made at test time (openssl CLI).
final class HTTPSTests: XCTestCase {
    var dir: TempDirectory!
    var fake: FakeProcess!
    var cert: String!

    override func setUpWithError() throws {
        dir = TempDirectory("otp-relay-https")
        let (cert, key) = try makeSelfSignedCertificate(in: dir)
        self.cert = cert
        fake = try FakeProcess(script: "fake_http.py", arguments: ["127.0.0.1", cert, key])
    }

    override func tearDown() {
        fake?.stop()
        dir = nil
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
