import CCurl
import RelayCore

/// One libcurl easy handle. Not Sendable: it belongs to one thread at a time, the first that uses
/// it (checked at every entry point in debug builds, `owner`); `releaseOwner()` lets a pool hand it
/// to another. `reset()` clears options between transfers but keeps the connection, DNS and TLS
/// session caches, so consecutive requests to one host reuse the connection.
final class CurlEasy {
    /// curl_global_init runs once per process, before the first handle (swift_once is thread-safe).
    static let globalInit: CURLcode = curl_global_init(ccurl_global_all())

    let handle: UnsafeMutableRawPointer
    let owner = ThreadOwnership("CurlEasy")

    init() {
        precondition(CurlEasy.globalInit == CURLE_OK, "curl_global_init failed")
        guard let h = curl_easy_init() else { fatalError("curl_easy_init: out of memory") }
        handle = h
    }

    deinit { curl_easy_cleanup(handle) }

    func reset() {
        owner.check()
        curl_easy_reset(handle)
    }

    /// Forgets the owning thread: the next thread to use the handle owns it (a pool handing it on).
    func releaseOwner() { owner.release() }

    func set(_ option: CURLoption, _ value: Int) throws(TransportError) {
        owner.check()
        try check(ccurl_setopt_long(handle, option, value))
    }

    func set(_ option: CURLoption, _ value: Bool) throws(TransportError) {
        owner.check()
        try check(ccurl_setopt_long(handle, option, value ? 1 : 0))
    }

    /// libcurl copies string options, so the Swift string need not outlive the call.
    func set(_ option: CURLoption, _ value: String) throws(TransportError) {
        owner.check()
        try check(ccurl_setopt_str(handle, option, value))
    }

    func set(_ option: CURLoption, pointer: UnsafeRawPointer?) throws(TransportError) {
        owner.check()
        try check(ccurl_setopt_ptr(handle, option, pointer))
    }

    func set(_ option: CURLoption, slist: UnsafeMutablePointer<curl_slist>?) throws(TransportError) {
        owner.check()
        try check(ccurl_setopt_slist(handle, option, slist))
    }

    func set(_ option: CURLoption, callback: ccurl_data_cb) throws(TransportError) {
        owner.check()
        try check(ccurl_setopt_datacb(handle, option, callback))
    }

    func set(_ option: CURLoption, offset: Int64) throws(TransportError) {
        owner.check()
        try check(ccurl_setopt_off(handle, option, curl_off_t(offset)))
    }

    /// CURLOPT_COPYPOSTFIELDS: curl keeps its own copy of the body until the next reset.
    /// Set CURLOPT_POSTFIELDSIZE_LARGE first (the body may hold NUL bytes).
    func copyPostFields(_ body: [UInt8]) throws(TransportError) {
        owner.check()
        let one: [UInt8] = [0]  // a valid pointer for an empty body
        let code = (body.isEmpty ? one : body).withUnsafeBytes { p in
            ccurl_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, p.baseAddress)
        }
        try check(code)
    }

    func infoLong(_ info: CURLINFO) -> Int {
        owner.check()
        var v = 0
        _ = ccurl_getinfo_long(handle, info, &v)
        return v
    }

    /// Runs the configured transfer; blocks the calling thread.
    func perform() -> CURLcode {
        owner.check()
        return curl_easy_perform(handle)
    }

    private func check(_ code: CURLcode) throws(TransportError) {
        if code != CURLE_OK { throw TransportError(curl: code) }
    }
}

/// Owns a curl_slist for the duration of a transfer.
final class CurlStringList {
    private(set) var head: UnsafeMutablePointer<curl_slist>?

    init(_ lines: [String] = []) {
        for line in lines { append(line) }
    }

    func append(_ line: String) {
        guard let new = curl_slist_append(head, line) else { fatalError("curl_slist_append: out of memory") }
        head = new
    }

    deinit { curl_slist_free_all(head) }
}

/// Checks that a header name is an RFC 9110 token and a value holds no CR, LF or NUL.
enum HeaderRules {
    static func isToken(_ s: String) -> Bool {
        guard !s.isEmpty else { return false }
        return s.utf8.allSatisfy { b in
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "!#$%&'*+-.^_`|~".utf8.contains(b)
            }
        }
    }

    static func isSafeValue(_ s: String) -> Bool {
        !s.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }
    }
}
