import Foundation
import RelayCore
import RelayTestSupport
import XCTest

@testable import Delivery

final class SandboxProviderTests: XCTestCase {
    func testWritesOneJSONLinePerMessage() throws {
        let dir = TempDirectory("otp-relay-delivery")
        let path = dir.file("sandbox.jsonl")
        let p = ProviderConfig.sandbox(SandboxConfig(path: path, clock: ManualClock(1_800_000_000_123))).makeProvider()
        let sms = MessageTemplates().render(
            jobID: "01JOBSANDBOX00000000000000", channel: .sms, recipient: "+6284512340987",
            otp: "493817", validityMinutes: 5, appName: "Nano\"vest")
        let mail = MessageTemplates().render(
            jobID: "01JOBSANDBOX00000000000001", channel: .email, recipient: "budi@example.com",
            otp: "111222", validityMinutes: 5, appName: "Nanovest")
        XCTAssertEqual(p.send(sms), .sent(providerMessageID: "01JOBSANDBOX00000000000000", status: nil))
        XCTAssertEqual(p.send(mail).name, "sent")
        let lines = readJSONLines(path)
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines[0]["job_id"] as? String, "01JOBSANDBOX00000000000000")
        XCTAssertEqual(lines[0]["channel"] as? String, "sms")
        XCTAssertEqual(lines[0]["to"] as? String, "+6284512340987")
        XCTAssertEqual(lines[0]["message"] as? String, sms.text)
        XCTAssertEqual(lines[0]["provider"] as? String, "sandbox")
        XCTAssertEqual(lines[0]["at"] as? Int, 1_800_000_000_123)
        XCTAssertNil(lines[0]["subject"])
        XCTAssertEqual(lines[1]["subject"] as? String, "Kode verifikasi Nanovest Anda")
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attrs[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }

    func testConcurrentWorkersNeverInterleave() throws {
        let dir = TempDirectory("otp-relay-delivery")
        let path = dir.file("sandbox.jsonl")
        let config = ProviderConfig.sandbox(SandboxConfig(path: path))
        let long = String(repeating: "x", count: 3000)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            let p = config.makeProvider()
            for i in 0..<50 {
                let m = OutgoingMessage(
                    jobID: "job-\(worker)-\(i)", channel: .sms, recipient: "+6284512340987",
                    otp: "1234", text: long, appName: "A")
                _ = p.send(m)
            }
        }
        let lines = readJSONLines(path)
        XCTAssertEqual(lines.count, 200)
        XCTAssertEqual(Set(lines.compactMap { $0["job_id"] as? String }).count, 200)
        XCTAssertTrue(lines.allSatisfy { ($0["message"] as? String) == long })
    }

    func testUnwritablePathIsRetryable() {
        let p = SandboxProvider(config: SandboxConfig(path: "/nonexistent-dir/x/sandbox.jsonl"))
        let m = OutgoingMessage(jobID: "j", channel: .sms, recipient: "+6284512340987", otp: "1234", text: "t", appName: "A")
        XCTAssertEqual(p.send(m).name, "retryable")
    }
}
