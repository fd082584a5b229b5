import Foundation
import RelayCore
import XCTest

@testable import Delivery

final class MIMEMessageTests: XCTestCase {
    private func mime(
        subject: String = "Kode", fromName: String? = "Bank", text: String = "a\nb", html: String? = "<p>x</p>"
    ) -> MIMEMessage {
        MIMEMessage(
            from: .init(name: fromName, address: "no-reply@bank.example"), to: .init(address: "budi@example.com"),
            subject: subject, dateMillis: 0, messageID: "JOB1@bank.example", text: text, html: html, boundary: "=_b")
    }

    func testDates() {
        XCTAssertEqual(CivilTime.rfc5322(millis: 0), "Thu, 1 Jan 1970 00:00:00 +0000")
        XCTAssertEqual(CivilTime.rfc5322(millis: 1_709_164_800_000), "Thu, 29 Feb 2024 00:00:00 +0000")
        XCTAssertEqual(CivilTime.rfc5322(millis: 1_800_000_000_999), "Fri, 15 Jan 2027 08:00:00 +0000")
        XCTAssertEqual(CivilTime.parseIMFFixdate("Sun, 06 Nov 1994 08:49:37 GMT"), 784_111_777_000)
        XCTAssertEqual(CivilTime.parseIMFFixdate("Fri, 15 Jan 2027 08:00:00 GMT"), 1_800_000_000_000)
        XCTAssertNil(CivilTime.parseIMFFixdate("Sunday, 06-Nov-94 08:49:37 GMT"))
        XCTAssertNil(CivilTime.parseIMFFixdate("Sun, 32 Nov 1994 08:49:37 GMT"))
    }

    func testHeadersAndCRLF() throws {
        let bytes = try mime().render()
        let s = String(decoding: bytes, as: UTF8.self)
        XCTAssertFalse(s.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "no bare LF")
        XCTAssertFalse(s.replacingOccurrences(of: "\r\n", with: "").contains("\r"), "no bare CR")
        XCTAssertTrue(
            s.hasPrefix(
                "Date: Thu, 1 Jan 1970 00:00:00 +0000\r\nFrom: Bank <no-reply@bank.example>\r\nTo: <budi@example.com>\r\nSubject: Kode\r\n"
                    + "Message-ID: <JOB1@bank.example>\r\nMIME-Version: 1.0\r\n"
            ), s)
        XCTAssertTrue(s.contains("Content-Type: multipart/alternative; boundary=\"=_b\"\r\n"))
        XCTAssertTrue(
            s.contains(
                "\r\n--=_b\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na\r\nb\r\n"))
        XCTAssertTrue(s.hasSuffix("\r\n--=_b--\r\n"))
        let plain = String(decoding: try mime(html: nil).render(), as: UTF8.self)
        XCTAssertTrue(plain.contains("Content-Type: text/plain; charset=UTF-8\r\n"))
        XCTAssertFalse(plain.contains("multipart"))
    }

    func testHeaderInjectionIsRejected() {
        for m in [mime(subject: "Hi\r\nBcc: x@evil.example"), mime(subject: "a\nb"), mime(fromName: "B\rank"), mime(subject: "a\0b")] {
            XCTAssertThrowsError(try m.render())
        }
        var m = mime()
        m.to = .init(address: "budi@example.com>\r\nBcc: <x@evil.example")
        XCTAssertThrowsError(try m.render())
        m.to = .init(address: "a b@example.com")
        XCTAssertThrowsError(try m.render())
    }

    func testEncodedWords() throws {
        let subject = "Kode verifikasi Anda — " + String(repeating: "é", count: 60) + " 🔐"
        let words = MIMEEncoding.encodedWords(subject)
        var decoded = ""
        for w in words.components(separatedBy: "\r\n ") {
            XCTAssertLessThanOrEqual(w.count, 75)
            XCTAssertTrue(w.hasPrefix("=?UTF-8?B?") && w.hasSuffix("?="))
            let b64 = String(w.dropFirst(10).dropLast(2))
            decoded += String(decoding: Data(base64Encoded: b64)!, as: UTF8.self)
        }
        XCTAssertEqual(decoded, subject, "words split on character boundaries")
        XCTAssertEqual(MIMEEncoding.headerText("Plain ASCII"), "Plain ASCII")
        XCTAssertTrue(MIMEEncoding.headerText("looks =?like?= a word").hasPrefix("=?UTF-8?B?"))
        XCTAssertEqual(MIMEEncoding.displayName("Bank, Sinarmas"), "\"Bank, Sinarmas\"")
        XCTAssertEqual(MIMEEncoding.displayName("Say \"hi\""), "\"Say \\\"hi\\\"\"")
    }

    func testQuotedPrintable() {
        let long = String(repeating: "é", count: 100) + " trailing \nnext=line\t\n.dot"
        let qp = String(decoding: MIMEEncoding.quotedPrintable(long), as: UTF8.self)
        for line in qp.components(separatedBy: "\r\n") {
            XCTAssertLessThanOrEqual(line.utf8.count, 76)
            XCTAssertFalse(line.hasSuffix(" ") || line.hasSuffix("\t"))
        }
        XCTAssertTrue(qp.contains("next=3Dline=09\r\n=2Edot"))
        XCTAssertTrue(qp.contains("trailing=20\r\n"))
    }

    func testSMTPProviderRejectsInjectedSubjectPermanently() {
        let p = SMTPProvider(config: SMTPProviderConfig(url: "smtp://127.0.0.1:1", fromAddress: "no-reply@bank.example"))
        var m = MessageTemplates().render(
            jobID: "j", channel: .email, recipient: "budi@example.com", otp: "1234",
            validityMinutes: 5, appName: "A")
        m.subject = "x\r\nBcc: evil@example.com"
        XCTAssertEqual(p.send(m), .permanent(reason: "smtp message: invalid subject for an email header", status: nil))
        XCTAssertEqual(p.messageID(for: "JOB"), "JOB@bank.example")
    }
}
