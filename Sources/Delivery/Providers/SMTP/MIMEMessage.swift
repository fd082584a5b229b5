import Foundation

/// Why a message could not be built: a header value with CR/LF/NUL, or a bad address.
public struct MIMEError: Error, Sendable, CustomStringConvertible {
    public let field: String
    public var description: String { "invalid \(field) for an email header" }
}

/// Builds an RFC 5322 message with a MIME `multipart/alternative` body (text, and HTML when
/// given), quoted-printable UTF-8 parts and CRLF line endings throughout.
///
/// Header values never carry CR or LF: a value with either, or with NUL, is rejected rather than
/// cleaned, so a template or configuration mistake cannot inject headers.
public struct MIMEMessage: Sendable {
    public struct Address: Sendable {
        public var name: String?
        public var address: String
        public init(name: String? = nil, address: String) {
            self.name = name
            self.address = address
        }
    }

    public var from: Address
    public var to: Address
    public var replyTo: Address?
    public var subject: String
    /// Epoch milliseconds for the `Date:` header.
    public var dateMillis: Int64
    /// Without angle brackets: `<jobid@domain>` is added around it.
    public var messageID: String
    public var text: String
    public var html: String?
    /// Distinguishes parts; must not occur in the encoded content (QP and base64 never emit `=_`).
    public var boundary: String

    public init(
        from: Address, to: Address, replyTo: Address? = nil, subject: String, dateMillis: Int64,
        messageID: String, text: String, html: String? = nil, boundary: String? = nil
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.dateMillis = dateMillis
        self.messageID = messageID
        self.text = text
        self.html = html
        self.boundary = boundary ?? "=_otp-relay_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    public func render() throws(MIMEError) -> [UInt8] {
        try check(subject, "subject")
        try check(messageID, "message id")
        for (a, f) in [(from, "from"), (to, "to")] + (replyTo.map { [($0, "reply-to")] } ?? []) {
            try check(a.address, f)
            if let n = a.name { try check(n, f) }
            guard a.address.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }),
                a.address.contains("@")
            else { throw MIMEError(field: f) }
        }
        guard !messageID.contains("<"), !messageID.contains(">"), !messageID.contains(" ") else {
            throw MIMEError(field: "message id")
        }

        var head: [(String, String)] = [
            ("Date", CivilTime.rfc5322(millis: dateMillis)),
            ("From", mailbox(from)),
            ("To", mailbox(to)),
        ]
        if let r = replyTo { head.append(("Reply-To", mailbox(r))) }
        head += [
            ("Subject", MIMEEncoding.headerText(subject)),
            ("Message-ID", "<\(messageID)>"),
            ("MIME-Version", "1.0"),
            ("Auto-Submitted", "auto-generated"),
        ]
        var out: [UInt8] = []
        func line(_ s: String) { out += Array(s.utf8) + [0x0D, 0x0A] }
        for (k, v) in head { line("\(k): \(v)") }

        guard let html else {
            line("Content-Type: text/plain; charset=UTF-8")
            line("Content-Transfer-Encoding: quoted-printable")
            line("")
            out += MIMEEncoding.quotedPrintable(text) + [0x0D, 0x0A]
            return out
        }
        line("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        line("")
        line("This is a multi-part message in MIME format.")
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            line("--\(boundary)")
            line("Content-Type: \(type); charset=UTF-8")
            line("Content-Transfer-Encoding: quoted-printable")
            line("")
            out += MIMEEncoding.quotedPrintable(body) + [0x0D, 0x0A]
        }
        line("--\(boundary)--")
        return out
    }

    private func mailbox(_ a: Address) -> String {
        guard let n = a.name, !n.isEmpty else { return "<\(a.address)>" }
        return "\(MIMEEncoding.displayName(n)) <\(a.address)>"
    }

    private func check(_ value: String, _ field: String) throws(MIMEError) {
        if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) { throw MIMEError(field: field) }
    }
}
