import RelayCore

/// Header fields in arrival order; lookups ignore ASCII case, as HTTP field names do.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }
    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { (name: $0.0, value: $0.1) }
    }

    public var count: Int { fields.count }
    public mutating func add(name: String, value: String) { fields.append((name, value)) }

    /// The first value of `name`, if any.
    public func first(_ name: String) -> String? {
        for f in fields where HTTPHeaders.equalsIgnoringCase(f.name, name) { return f.value }
        return nil
    }
    public subscript(_ name: String) -> String? { first(name) }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { HTTPHeaders.equalsIgnoringCase($0.name, name) }.map(\.value)
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }  // O(1) for native strings
        var i = a.utf8.makeIterator(), j = b.utf8.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return true
            case (let x?, let y?): if lowerASCII(x) != lowerASCII(y) { return false }
            default: return false
            }
        }
    }
    @inline(__always) static func lowerASCII(_ c: UInt8) -> UInt8 {
        c &- 65 < 26 ? c | 0x20 : c
    }
}

/// A parsed request line and header block, handed to `HTTPHandler.head` before any body is read.
public struct HTTPRequestHead: Sendable {
    /// The method token as sent (case-sensitive: `GET`, `POST`).
    public var method: String
    /// The request-target as sent: origin form (`/path?query`) or `*` for OPTIONS.
    public var target: String
    /// The target up to `?`, not percent-decoded.
    public var path: String
    /// The target after the first `?`, not decoded; nil when there is no `?`.
    public var query: String?
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var versionMinor: Int
    public var headers: HTTPHeaders
    /// The peer's IP address as text, without port (IPv4-mapped IPv6 shown as IPv4).
    public var peerAddress: String
    /// The declared body length; nil when the request has no Content-Length.
    public var contentLength: Int?
    /// Whether the connection stays open after this request (version and `Connection` header).
    public var keepAlive: Bool

    public init(
        method: String, target: String, versionMinor: Int = 1, headers: HTTPHeaders = HTTPHeaders(),
        peerAddress: String = "", contentLength: Int? = nil, keepAlive: Bool = true
    ) {
        self.method = method
        self.target = target
        if let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(target[..<q])
            query = String(target[target.index(after: q)...])
        } else {
            path = target
            query = nil
        }
        self.versionMinor = versionMinor
        self.headers = headers
        self.peerAddress = peerAddress
        self.contentLength = contentLength
        self.keepAlive = keepAlive
    }
}

/// A complete request: its head and its whole body (bounded by `maxBodyBytes`).
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    /// The event loop that read the request, as an executor: completions handed to it run on that
    /// loop, and a `respond` called from one of them writes without another hop through the
    /// loop's mailbox. Nil for requests built outside a server.
    public var executor: (any CompletionExecutor)?

    public init(head: HTTPRequestHead, body: [UInt8] = [], executor: (any CompletionExecutor)? = nil) {
        self.head = head
        self.body = body
        self.executor = executor
    }

    public var method: String { head.method }
    public var path: String { head.path }
    public var query: String? { head.query }
    public var headers: HTTPHeaders { head.headers }
    public var peerAddress: String { head.peerAddress }
    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A response. The server adds `Content-Length`, `Date` and, when it closes, `Connection: close`;
/// those three, and `Transfer-Encoding`, are ignored if given here.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Close the connection after this response.
    public var closeConnection: Bool

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], closeConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }

    public init(status: Int, headers: [(String, String)] = [], text: String, closeConnection: Bool = false) {
        self.init(status: status, headers: headers, body: Array(text.utf8), closeConnection: closeConnection)
    }
}
