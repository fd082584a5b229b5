#if canImport(Glibc)
import Glibc
#endif

/// A request head parsed from bytes, with what the server needs to frame the body.
public struct ParsedHead: Sendable {
    public var head: HTTPRequestHead
    /// A Transfer-Encoding field was present (any value): we accept no chunked bodies.
    public var hasTransferEncoding: Bool
    /// HTTP/1.1 with `Expect: 100-continue`.
    public var expectContinue: Bool
    /// An `Expect` other than `100-continue` (answered 417).
    public var unsupportedExpectation: Bool
}

/// The HTTP/1.1 request-head parser: works over raw bytes, allocates only the strings it hands
/// out, and is strict where leniency allows request smuggling (bare LF, obs-fold, duplicate or
/// malformed Content-Length).
public enum RequestParser {
    public struct Limits: Sendable {
        public var maxHeadBytes: Int
        public var maxHeaderCount: Int
        public init(maxHeadBytes: Int = 16 * 1024, maxHeaderCount: Int = 100) {
            self.maxHeadBytes = maxHeadBytes
            self.maxHeaderCount = maxHeaderCount
        }
    }

    public enum HeadResult: Sendable {
        /// More bytes are needed.
        case incomplete
        /// A head, and how many bytes of the input it used (leading empty lines included).
        case head(ParsedHead, length: Int)
        case rejected(HTTPRejection)
    }

    /// Parses the head at the start of `bytes`; total over any input (a libFuzzer entry point).
    public static func parseHead(_ bytes: UnsafeRawBufferPointer, limits: Limits) -> HeadResult {
        let skip = leadingEmptyLineBytes(bytes)
        let rest = UnsafeRawBufferPointer(rebasing: bytes[skip...])
        var scan = 0
        switch scanHeadEnd(rest, from: &scan, limits: limits) {
        case .incomplete: return .incomplete
        case .rejected(let r): return .rejected(r)
        case .found(let end):
            switch parseCompleteHead(UnsafeRawBufferPointer(rebasing: rest[..<end]), limits: limits) {
            case .success(let head): return .head(head, length: skip + end)
            case .failure(let r): return .rejected(r.rejection)
            }
        }
    }

    /// Bytes of CRLF pairs before a request line (RFC 9112 §2.2 lets a server ignore them).
    static func leadingEmptyLineBytes(_ b: UnsafeRawBufferPointer) -> Int {
        var i = 0
        while i + 1 < b.count, b[i] == cr, b[i + 1] == lf { i += 2 }
        return i
    }

    enum Scan: Equatable {
        case incomplete
        case found(Int)
        case rejected(HTTPRejection)
    }

    /// Finds the end of the head (just past CRLFCRLF). `from` is where a previous scan of the
    /// same request stopped, so a head that trickles in is scanned once. Rejects a bare LF at
    /// once and a head over the size limit.
    static func scanHeadEnd(_ b: UnsafeRawBufferPointer, from: inout Int, limits: Limits) -> Scan {
        guard let base = b.baseAddress, b.count > 0 else { return .incomplete }
        var i = from
        while i < b.count {
            guard let p = memchr(base + i, Int32(lf), b.count - i) else { break }
            let j = UnsafeRawPointer(p) - base
            if j == 0 || b[j - 1] != cr { return .rejected(.badRequest(reason: "bare LF line ending")) }
            if j >= 3 && b[j - 2] == lf && b[j - 3] == cr {
                return j + 1 > limits.maxHeadBytes ? .rejected(.headersTooLarge) : .found(j + 1)
            }
            i = j + 1
        }
        from = b.count
        return b.count > limits.maxHeadBytes ? .rejected(.headersTooLarge) : .incomplete
    }

    struct Failure: Error {
        let rejection: HTTPRejection
        static func bad(_ reason: String) -> Failure { Failure(rejection: .badRequest(reason: reason)) }
    }

    /// Parses a head that ends with CRLFCRLF and has no bare LF (as `scanHeadEnd` found it).
    static func parseCompleteHead(_ b: UnsafeRawBufferPointer, limits: Limits) -> Result<ParsedHead, Failure> {
        var lines = LineCursor(bytes: b)
        guard let requestLine = lines.next(), !requestLine.isEmpty else { return .failure(.bad("empty request line")) }

        // request-line = method SP request-target SP HTTP-version
        guard let sp1 = requestLine.firstIndex(of: space), sp1 > 0 else { return .failure(.bad("invalid request line")) }
        let methodBytes = slice(requestLine, 0, sp1)
        guard methodBytes.allSatisfy(isTokenChar) else { return .failure(.bad("invalid method")) }
        guard let sp2 = slice(requestLine, sp1 + 1, requestLine.count).firstIndex(of: space).map({ $0 + sp1 + 1 }),
            sp2 > sp1 + 1
        else { return .failure(.bad("invalid request line")) }
        let targetBytes = slice(requestLine, sp1 + 1, sp2)
        guard targetBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return .failure(.bad("invalid request target")) }
        let versionBytes = slice(requestLine, sp2 + 1, requestLine.count)
        guard versionBytes.count == 8, versionBytes.starts(with: httpSlash.utf8),
            isDigit(versionBytes[5]), versionBytes[6] == UInt8(ascii: "."), isDigit(versionBytes[7])
        else { return .failure(.bad("invalid HTTP version")) }
        guard versionBytes[5] == UInt8(ascii: "1"), versionBytes[7] <= UInt8(ascii: "1") else {
            return .failure(Failure(rejection: .versionNotSupported))
        }
        let minor = Int(versionBytes[7] - UInt8(ascii: "0"))
        let method = String(decoding: methodBytes, as: UTF8.self)
        let isOptionsStar = targetBytes.count == 1 && targetBytes[0] == UInt8(ascii: "*") && method == "OPTIONS"
        guard targetBytes[0] == UInt8(ascii: "/") || isOptionsStar else {
            return .failure(.bad("request target must be origin-form"))
        }

        var headers = HTTPHeaders()
        var contentLength: Int?
        var sawContentLength = false, hasTE = false, close = false, keepAliveToken = false
        var expectContinue = false, otherExpectation = false, hostCount = 0
        while let line = lines.next(), !line.isEmpty {
            if headers.count >= limits.maxHeaderCount { return .failure(Failure(rejection: .headersTooLarge)) }
            if line[0] == space || line[0] == tab { return .failure(.bad("obsolete line folding")) }
            var colon = 0
            while colon < line.count, isTokenChar(line[colon]) { colon += 1 }
            guard colon < line.count, line[colon] == UInt8(ascii: ":") else {
                if colon < line.count, line[colon] == space || line[colon] == tab {
                    return .failure(.bad("whitespace before colon in header field"))
                }
                return .failure(.bad("invalid header field name"))
            }
            guard colon > 0 else { return .failure(.bad("empty header field name")) }
            var vs = colon + 1, ve = line.count
            while vs < ve, line[vs] == space || line[vs] == tab { vs += 1 }
            while ve > vs, line[ve - 1] == space || line[ve - 1] == tab { ve -= 1 }
            let nameBytes = slice(line, 0, colon), valueBytes = slice(line, vs, ve)
            for c in valueBytes where !(c == tab || (c >= 0x20 && c != 0x7F)) {
                return .failure(.bad("control character in header field value"))
            }
            switch knownField(nameBytes) {
            case .contentLength:
                if sawContentLength { return .failure(.bad("duplicate Content-Length")) }
                sawContentLength = true
                guard let n = parseLength(valueBytes) else { return .failure(.bad("malformed Content-Length")) }
                contentLength = n
            case .transferEncoding: hasTE = true
            case .host: hostCount += 1
            case .connection:
                forEachToken(valueBytes) { t in
                    if equalsIgnoringCase(t, "close") { close = true }
                    if equalsIgnoringCase(t, "keep-alive") { keepAliveToken = true }
                }
            case .expect:
                if equalsIgnoringCase(valueBytes, "100-continue") { expectContinue = true } else { otherExpectation = true }
            case .other: break
            }
            headers.add(name: String(decoding: nameBytes, as: UTF8.self), value: String(decoding: valueBytes, as: UTF8.self))
        }
        if minor == 1 && hostCount == 0 { return .failure(.bad("missing Host")) }
        if hostCount > 1 { return .failure(.bad("duplicate Host")) }

        let head = HTTPRequestHead(
            method: method, target: String(decoding: targetBytes, as: UTF8.self), versionMinor: minor,
            headers: headers, contentLength: contentLength,
            keepAlive: minor == 1 ? !close : (keepAliveToken && !close))
        return .success(
            ParsedHead(
                head: head, hasTransferEncoding: hasTE,
                expectContinue: minor == 1 && expectContinue,
                unsupportedExpectation: minor == 1 && otherExpectation))
    }
}
