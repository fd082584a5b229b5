import Foundation

/// The encodings an RFC 5322 / MIME message needs: CRLF normalization, quoted-printable
/// (RFC 2045 §6.7) and RFC 2047 encoded-words for non-ASCII header text.
enum MIMEEncoding {
    /// Any CR, LF or CRLF becomes CRLF.
    static func normalizeLineEndings(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 16)
        var prevCR = false
        for b in s.utf8 {
            if b == 0x0A {
                if !prevCR { out += [0x0D, 0x0A] }
                prevCR = false
            } else if b == 0x0D {
                out += [0x0D, 0x0A]
                prevCR = true
            } else {
                out.append(b)
                prevCR = false
            }
        }
        return out
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    /// Quoted-printable of UTF-8 text with CRLF hard breaks; lines ≤ 76 characters.
    /// A leading `.` is encoded too, so no line can look like the SMTP end of data.
    static func quotedPrintable(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        let lines = split(normalizeLineEndings(text))
        for (n, line) in lines.enumerated() {
            var width = 0
            for (i, b) in line.enumerated() {
                let last = i == line.count - 1
                var enc: [UInt8]
                let literal = (b >= 33 && b <= 126 && b != UInt8(ascii: "=")) || ((b == 0x20 || b == 0x09) && !last)
                if literal && !(i == 0 && b == UInt8(ascii: ".")) {
                    enc = [b]
                } else {
                    enc = [UInt8(ascii: "="), hex[Int(b >> 4)], hex[Int(b & 15)]]
                }
                if width + enc.count > 75 {
                    out += [UInt8(ascii: "="), 0x0D, 0x0A]
                    width = 0
                }
                out += enc
                width += enc.count
            }
            if n < lines.count - 1 { out += [0x0D, 0x0A] }
        }
        return out
    }

    private static func split(_ crlf: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = [[]]
        var i = 0
        while i < crlf.count {
            if crlf[i] == 0x0D, i + 1 < crlf.count, crlf[i + 1] == 0x0A {
                lines.append([])
                i += 2
            } else {
                lines[lines.count - 1].append(crlf[i])
                i += 1
            }
        }
        return lines
    }

    /// True for text that can go into a header as is: printable ASCII and spaces.
    static func isPlainHeaderText(_ s: String) -> Bool {
        s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// RFC 2047 `B` encoded-words for UTF-8 text, each ≤ 75 characters and split on character
    /// boundaries, joined by folding whitespace (CRLF SP).
    static func encodedWords(_ s: String) -> String {
        // 75 - len("=?UTF-8?B??=") = 63 base64 characters → at most 45 bytes of text per word.
        var words: [String] = []
        var chunk: [UInt8] = []
        for ch in s {
            let bytes = Array(String(ch).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: "\r\n ")
    }

    /// Header text: as is when plain ASCII, otherwise encoded-words.
    static func headerText(_ s: String) -> String {
        isPlainHeaderText(s) && !s.contains("=?") ? s : encodedWords(s)
    }

    /// A display name for From/To: an atom phrase, a quoted-string, or encoded-words.
    static func displayName(_ s: String) -> String {
        guard isPlainHeaderText(s), !s.contains("=?") else { return encodedWords(s) }
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ".utf8)
        if s.utf8.allSatisfy({ atext.contains($0) }) { return s }
        var q = "\""
        for c in s { if c == "\"" || c == "\\" { q.append("\\") }; q.append(c) }
        return q + "\""
    }
}
