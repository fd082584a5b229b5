import Foundation
import RelayCore
import RelayTestSupport
import Transport
import XCTest

@testable import Delivery

/// The SMTP provider against a real SMTP server process (aiosmtpd) on loopback.
final class SMTPProviderTests: XCTestCase {
    var dir: TempDirectory!
    var cert = "", key = ""
    var out: String { dir.file("mail.jsonl") }
    let clock = ManualClock(1_800_000_000_000)

    override func setUpWithError() throws {
        dir = TempDirectory("otp-relay-delivery")
        (cert, key) = try makeSelfSignedCertificate(in: dir)
    }

    private func server(_ args: [String]) throws -> FakeProcess {
        try FakeProcess(script: "smtp_server.py", arguments: ["--out", out] + args)
    }

    private func provider(url: String, password: String = "app-pass", caFile: String? = nil) -> SMTPProvider {
        SMTPProvider(
            config: SMTPProviderConfig(
                url: url, username: "relay", password: password,
                fromAddress: "no-reply@bank.example", fromName: "Bank Sinarmas Ü",
                client: SMTPClientConfiguration(connectTimeoutMillis: 2000, totalTimeoutMillis: 5000, caFile: caFile ?? cert),
                clock: clock))
    }

    private func message(to: String = "budi@example.com", language: String = "id") -> OutgoingMessage {
        MessageTemplates().render(
            jobID: "01JOBSMTP0000000000000000A", channel: .email, recipient: to, otp: "493817",
            language: language, validityMinutes: 5, appName: "Nanovest <Ü>")
    }

    private func headers(_ rec: [String: Any]) -> [String: String] {
        var h: [String: String] = [:]
        for pair in rec["headers"] as! [[String]] { h[pair[0]] = pair[1] }
        return h
    }

    func testSTARTTLSWithAuthDeliversValidMIME() throws {
        let s = try server(["--cert", cert, "--key", key, "--auth", "relay:app-pass"])
        defer { s.stop() }
        let m = message()
        let outcome = provider(url: "smtp://127.0.0.1:\(s.port)").send(m)
        XCTAssertEqual(outcome, .sent(providerMessageID: "<01JOBSMTP0000000000000000A@bank.example>", status: 250))

        let recs = readJSONLines(out)
        XCTAssertEqual(recs.count, 1)
        let rec = try XCTUnwrap(recs.first)
        XCTAssertEqual(rec["mail_from"] as? String, "no-reply@bank.example")
        XCTAssertEqual(rec["rcpt_tos"] as? [String], ["budi@example.com"])
        XCTAssertEqual(rec["auth_user"] as? String, "relay")
        XCTAssertEqual(rec["tls"] as? Bool, true)
        XCTAssertEqual(rec["defects"] as? [String], [])
        XCTAssertEqual(rec["bare_lf"] as? Bool, false)
        XCTAssertLessThanOrEqual(rec["max_line"] as! Int, 78)

        let h = headers(rec)
        XCTAssertEqual(h["Date"], "Fri, 15 Jan 2027 08:00:00 +0000")
        XCTAssertEqual(h["Message-ID"], "<01JOBSMTP0000000000000000A@bank.example>")
        XCTAssertEqual(h["From"], "Bank Sinarmas Ü <no-reply@bank.example>")
        XCTAssertEqual(h["To"], "budi@example.com")
        XCTAssertEqual(h["Subject"], "Kode verifikasi Nanovest <Ü> Anda")
        XCTAssertEqual(h["MIME-Version"], "1.0")
        XCTAssertEqual(h["Auto-Submitted"], "auto-generated")
        XCTAssertEqual(rec["content_type"] as? String, "multipart/alternative")
        let raw = rec["raw_header_lines"] as! [String]
        XCTAssertTrue(raw.contains { $0.hasPrefix("Subject: =?UTF-8?B?") }, "\(raw)")
        XCTAssertTrue(raw.contains { $0.hasPrefix("From: =?UTF-8?B?") }, "\(raw)")

        let parts = rec["parts"] as! [[String: Any]]
        XCTAssertEqual(parts.map { $0["content_type"] as? String }, ["text/plain", "text/html"])
        XCTAssertEqual(parts.map { $0["charset"] as? String }, ["utf-8", "utf-8"])
        let text = (parts[0]["content"] as! String).replacingOccurrences(of: "\r\n", with: "\n")
        // The CRLF before a boundary belongs to the delimiter (RFC 2046 §5.1.1).
        XCTAssertEqual(text, m.text.replacingOccurrences(of: "\r\n", with: "\n"))
        let html = parts[1]["content"] as! String
        XCTAssertTrue(html.contains("493817"))
        XCTAssertTrue(html.contains("Nanovest &lt;Ü&gt;"))
        XCTAssertFalse(html.contains("Nanovest <Ü>"))
    }

    func testImplicitTLS() throws {
        let s = try server(["--cert", cert, "--key", key, "--implicit-tls", "--auth", "relay:app-pass"])
        defer { s.stop() }
        XCTAssertEqual(provider(url: "smtps://127.0.0.1:\(s.port)").send(message(language: "en")).name, "sent")
        let rec = try XCTUnwrap(readJSONLines(out).first)
        XCTAssertEqual(headers(rec)["Subject"], "Your Nanovest <Ü> verification code")
        XCTAssertEqual(rec["auth_user"] as? String, "relay")
    }

    func testServerWithoutSTARTTLSIsRefused() throws {
        let s = try server(["--auth", "relay:app-pass"])
        defer { s.stop() }
        let outcome = provider(url: "smtp://127.0.0.1:\(s.port)").send(message())
        guard case .retryable(let reason, _, _) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertTrue(reason.contains("tls"), reason)
        XCTAssertEqual(readJSONLines(out).count, 0)
    }

    func testUntrustedCertificateIsRefused() throws {
        let s = try server(["--cert", cert, "--key", key, "--auth", "relay:app-pass"])
        defer { s.stop() }
        let other = TempDirectory("otp-relay-delivery")
        let (otherCert, _) = try makeSelfSignedCertificate(in: other)
        let outcome = provider(url: "smtp://127.0.0.1:\(s.port)", caFile: otherCert).send(message())
        XCTAssertEqual(outcome.name, "retryable")
        XCTAssertTrue(outcome.reason!.contains("tls"), outcome.reason!)
        XCTAssertEqual(readJSONLines(out).count, 0)
    }

    func testWrongPasswordIsPermanent() throws {
        let s = try server(["--cert", cert, "--key", key, "--auth", "relay:app-pass"])
        defer { s.stop() }
        let outcome = provider(url: "smtp://127.0.0.1:\(s.port)", password: "wrong-secret").send(message())
        XCTAssertEqual(outcome.name, "permanent")
        XCTAssertEqual(outcome.status, 535)
        XCTAssertFalse(outcome.reason!.contains("wrong-secret"))
        XCTAssertEqual(readJSONLines(out).count, 0)
    }

    func testRecipientRepliesAreClassified() throws {
        let s = try server(["--cert", cert, "--key", key, "--auth", "relay:app-pass"])
        defer { s.stop() }
        let p = provider(url: "smtp://127.0.0.1:\(s.port)")
        let temp = p.send(message(to: "tempfail@example.com"))
        XCTAssertEqual(temp.name, "retryable")
        XCTAssertEqual(temp.status, 450)
        let perm = p.send(message(to: "reject@example.com"))
        XCTAssertEqual(perm.name, "permanent")
        XCTAssertEqual(perm.status, 550)
        for o in [temp, perm] { XCTAssertFalse(o.reason!.contains("example.com")) }
        // The same provider (and connection cache) still delivers afterwards.
        XCTAssertEqual(p.send(message()).name, "sent")
        XCTAssertEqual(readJSONLines(out).count, 1)
    }

    func testConnectionRefusedIsRetryable() throws {
        let s = try server([])
        let port = s.port
        s.stop()
        let outcome = provider(url: "smtp://127.0.0.1:\(port)").send(message())
        XCTAssertEqual(outcome.name, "retryable")
    }

    func testPlainProtocolsAreNotAccepted() {
        for url in ["http://127.0.0.1:25", "smtp://user:pw@127.0.0.1:25"] {
            XCTAssertEqual(provider(url: url).send(message()).name, "permanent", url)
        }
    }
}
