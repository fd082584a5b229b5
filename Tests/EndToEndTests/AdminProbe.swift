import Foundation
import RelayTestSupport
import XCTest

/// Reads from a running binary's admin listener with the test password.
extension XCTestCase {
    func admin(_ port: Int, _ path: String) throws -> WireResponse {
        let c = try RawConnection(port: port)
        try c.send(
            "GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: \(WebhookRequest.basic("admin", CrashRecoveryTests.password))\r\n\r\n")
        return try XCTUnwrap(try c.readResponse())
    }

    /// POSTs a JSON body to a running binary's admin listener with the test password.
    func adminPost(_ port: Int, _ path: String, _ body: String) throws -> WireResponse {
        let c = try RawConnection(port: port)
        try c.send(
            "POST \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: \(WebhookRequest.basic("admin", CrashRecoveryTests.password))\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        return try XCTUnwrap(try c.readResponse())
    }

    /// The value of the sample `name` in `/metrics`: unlabelled, or with its labels as served
    /// (`otp_relay_jobs{channel="sms",status="dead"}`).
    func metric(_ port: Int, _ name: String) throws -> Double {
        let text = try admin(port, "/metrics").text
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix(name + " ") }, text)
        return try XCTUnwrap(Double(line.split(separator: " ")[1]))
    }
}
