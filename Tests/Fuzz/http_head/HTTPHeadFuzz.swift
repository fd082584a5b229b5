@testable import HTTPServer

// libFuzzer target: the HTTP/1.1 request-head parser (RequestParser.parseHead).
// Built by scripts/fuzz with -sanitize=fuzzer,address against an -enable-testing build of HTTPServer.
// Beyond "no crash", every input is checked against the framing invariants that keep request
// smuggling out: see `check` below. A violated invariant aborts, so libFuzzer records a crash file.
#if canImport(Glibc)
import Glibc
#endif

/// Violations are reported as `INVARIANT VIOLATED (http_head): …` (`require`, Tests/Fuzz/Shared).
let fuzzTargetName = "http_head"

private let crlfcrlf: [UInt8] = [13, 10, 13, 10]

private func isTokenByte(_ c: UInt8) -> Bool { RequestParser.isTokenChar(c) }

private func check(_ input: UnsafeRawBufferPointer, _ limits: RequestParser.Limits) {
    let result = RequestParser.parseHead(input, limits: limits)
    switch result {
    case .incomplete:
        // "Incomplete" only while no head end has arrived, no bare LF was seen and the limit holds:
        // a peer cannot make the server buffer past maxHeadBytes.
        var skip = 0
        while skip + 1 < input.count, input[skip] == 13, input[skip + 1] == 10 { skip += 2 }
        require(input.count - skip <= limits.maxHeadBytes, "incomplete input within maxHeadBytes")
        for i in skip..<input.count where input[i] == 10 {
            require(i > skip && input[i - 1] == 13, "a bare LF is rejected at once")
            require(!(i >= skip + 3 && input[i - 2] == 10 && input[i - 3] == 13), "a complete head is never incomplete")
        }
    case .rejected(let r):
        // The reason is a fixed text: it never echoes input bytes.
        if case .badRequest(let reason) = r {
            require(reason.utf8.count < 64, "badRequest reason is short")
            require(reason.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "badRequest reason is printable ASCII")
        }
    case .head(let parsed, let length):
        let h = parsed.head
        require(length >= 4 && length <= input.count, "head length within input")
        require(Array(input[(length - 4)..<length]) == crlfcrlf, "head ends with CRLFCRLF")
        // Leading empty lines are skipped; the head itself is within the limit.
        var skip = 0
        while skip + 1 < input.count, input[skip] == 13, input[skip + 1] == 10 { skip += 2 }
        require(length - skip <= limits.maxHeadBytes, "head within maxHeadBytes")
        // No bare LF anywhere in the head (every LF preceded by CR).
        for i in 0..<length where input[i] == 10 { require(i > 0 && input[i - 1] == 13, "no bare LF in an accepted head") }
        // Smuggling: a Transfer-Encoding field of any value is reported (Connection.headReceived
        // then refuses the request: 411 alone, 400 with a Content-Length), so the only body framing
        // the server ever uses is a single, digits-only Content-Length.
        let clFields = h.headers.values("content-length")
        let teFields = h.headers.values("transfer-encoding")
        require(clFields.count <= 1, "at most one Content-Length field")
        require(parsed.hasTransferEncoding == !teFields.isEmpty, "hasTransferEncoding matches the fields")
        if let n = h.contentLength {
            require(n >= 0, "Content-Length is non-negative")
            require(clFields.count == 1, "a Content-Length value comes from exactly one field")
            require(!clFields[0].isEmpty && clFields[0].utf8.allSatisfy { $0 >= 48 && $0 <= 57 }, "Content-Length is 1*DIGIT")
            require(Int(clFields[0]) == n, "Content-Length value matches its field")
        } else {
            require(clFields.isEmpty, "a Content-Length field always yields a value")
        }
        require(h.headers.count <= limits.maxHeaderCount, "header count within limit")
        require(h.versionMinor == 0 || h.versionMinor == 1, "HTTP/1.0 or HTTP/1.1 only")
        require(!h.method.isEmpty && h.method.utf8.allSatisfy(isTokenByte), "method is a token")
        require(!h.target.isEmpty && h.target.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "target has no space or control")
        require(h.target.hasPrefix("/") || (h.target == "*" && h.method == "OPTIONS"), "origin-form target")
        require(h.versionMinor == 0 || h.headers.values("host").count == 1, "HTTP/1.1 has exactly one Host")
        require(h.headers.values("host").count <= 1, "never two Host fields")
        for f in h.headers {
            require(!f.name.isEmpty && f.name.utf8.allSatisfy(isTokenByte), "field name is a token")
            require(!f.value.utf8.contains { ($0 < 0x20 && $0 != 9) || $0 == 0x7F }, "field value has no CR, LF, NUL or control")
            require(
                f.value.utf8.first != 32 && f.value.utf8.first != 9 && f.value.utf8.last != 32 && f.value.utf8.last != 9,
                "field value trimmed")
        }
        // Determinism over how the bytes arrive: every shorter prefix is incomplete, and the head
        // alone parses to the same thing.
        if length > 0 {
            let cut = Int(input[0]) % length
            switch RequestParser.parseHead(UnsafeRawBufferPointer(rebasing: input[0..<cut]), limits: limits) {
            case .incomplete: break
            default: require(false, "a strict prefix of an accepted head is incomplete")
            }
        }
        switch RequestParser.parseHead(UnsafeRawBufferPointer(rebasing: input[0..<length]), limits: limits) {
        case .head(let again, let l2):
            require(
                l2 == length && again.head.method == h.method && again.head.target == h.target
                    && again.head.contentLength == h.contentLength && again.head.keepAlive == h.keepAlive
                    && again.hasTransferEncoding == parsed.hasTransferEncoding
                    && again.head.headers.count == h.headers.count, "the head alone parses the same")
        default: require(false, "the head alone parses")
        }
    }
}

func fuzzOne(_ input: UnsafeRawBufferPointer) {
    check(input, RequestParser.Limits())
    check(input, RequestParser.Limits(maxHeadBytes: 256, maxHeaderCount: 4))
}
