#if canImport(Glibc)
import Glibc
#endif

/// Serializes responses into a connection's output buffer, adding the headers the server owns
/// (`Content-Length`, `Date`, `Connection`) and dropping application headers that could split
/// the response or contradict its framing.
enum ResponseEncoder {
    static let continueBytes: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    static func encode(
        _ r: HTTPResponse, into out: inout [UInt8], close: Bool, keepAliveHeader: Bool,
        omitBody: Bool, date: [UInt8]
    ) {
        let status = (100...999).contains(r.status) ? r.status : 500
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(status, to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: reasonPhrase(status).utf8)
        out.append(contentsOf: crlf)
        for (name, value) in r.headers where isAllowed(name: name, value: value) {
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value.utf8)
            out.append(contentsOf: crlf)
        }
        let bodyless = status < 200 || status == 204 || status == 304
        if !bodyless {
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(r.body.count, to: &out)
            out.append(contentsOf: crlf)
        }
        out.append(contentsOf: date)
        if close {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if keepAliveHeader {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: crlf)
        if !bodyless && !omitBody { out.append(contentsOf: r.body) }
    }

    private static let crlf: [UInt8] = [13, 10]

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var v = max(0, value)
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(48 + v % 10)
                v /= 10
                n += 1
            } while v > 0
            for i in stride(from: n - 1, through: 0, by: -1) { out.append(d[i]) }
        }
    }

    /// Application headers may not set framing, and may not carry CR, LF or other controls.
    static func isAllowed(name: String, value: String) -> Bool {
        guard !name.isEmpty, name.utf8.allSatisfy(RequestParser.isTokenChar) else { return false }
        guard value.utf8.allSatisfy({ $0 == 9 || ($0 >= 0x20 && $0 != 0x7F) }) else { return false }
        switch name.utf8.count {
        case 4: return !HTTPHeaders.equalsIgnoringCase(name, "date")
        case 10: return !HTTPHeaders.equalsIgnoringCase(name, "connection")
        case 14: return !HTTPHeaders.equalsIgnoringCase(name, "content-length")
        case 17: return !HTTPHeaders.equalsIgnoringCase(name, "transfer-encoding")
        default: return true
        }
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }
}

/// The `Date:` header line, formatted at most once a second per loop.
struct DateHeader {
    private(set) var line: [UInt8] = []
    private var second = -1

    mutating func refresh() {
        let now = time(nil)
        guard now != second else { return }
        second = now
        var t = tm()
        var seconds = now
        gmtime_r(&seconds, &t)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let text =
            "Date: \(days[Int(t.tm_wday)]), \(two(t.tm_mday)) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900) "
            + "\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) GMT\r\n"
        line = Array(text.utf8)
    }
}
