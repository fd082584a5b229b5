import CCurl
import RelayCore

/// A blocking HTTP/1.1 client on one libcurl easy handle.
///
/// Not Sendable: make one per worker thread. Consecutive requests reuse the handle and with it
/// the open connection. TLS verification is always on; `http://` is allowed only to loopback
/// (see `HTTPClientConfiguration.allowPlainHTTPToLoopback`); redirects are never followed.
public final class HTTPClient {
    public let configuration: HTTPClientConfiguration
    private let easy = CurlEasy()

    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        self.configuration = configuration
    }

    /// Lets another thread use the client from now on (a pool handing idle clients on). The thread
    /// that uses it first owns it; a debug build traps on a use from any other thread.
    public func releaseThread() { easy.releaseOwner() }

    /// Sends the request and waits for the whole response. Any HTTP status is a response;
    /// only transport failures throw.
    public func perform(_ request: HTTPClientRequest) throws(TransportError) -> HTTPClientResponse {
        let (url, protocols) = try URLPolicy.check(
            request.url, secure: "https", plain: "http",
            allowPlainToLoopback: configuration.allowPlainHTTPToLoopback)
        let headers = try headerList(for: request)
        let ctx = TransferContext(
            maxBodyBytes: configuration.maxResponseBytes,
            maxHeaderBytes: configuration.maxHeaderBytes)

        easy.reset()
        try setCommonOptions(url: url, protocols: protocols, request: request, context: ctx)
        try easy.set(CURLOPT_HTTPHEADER, slist: headers.head)
        try setMethodAndBody(request)

        let start = monotonicNanos()
        let code = withExtendedLifetime((url, headers, ctx)) { easy.perform() }
        let elapsed = Int64((monotonicNanos() - start) / 1_000_000)
        // Unhook the pointers we own so a later reset-less use can never see them.
        try? easy.set(CURLOPT_HTTPHEADER, slist: nil)
        try? easy.set(CURLOPT_CURLU, pointer: nil)

        guard code == CURLE_OK else {
            throw TransportError(curl: code, replyCode: easy.infoLong(CURLINFO_RESPONSE_CODE), tooLarge: ctx.tooLarge)
        }
        return HTTPClientResponse(
            status: easy.infoLong(CURLINFO_RESPONSE_CODE), headers: ctx.headers, body: ctx.body,
            durationMillis: elapsed)
    }

    private func setCommonOptions(
        url: CurlURL, protocols: String, request: HTTPClientRequest, context ctx: TransferContext
    ) throws(TransportError) {
        try easy.set(CURLOPT_NOSIGNAL, true)
        try easy.set(CURLOPT_CURLU, pointer: UnsafeRawPointer(url.handle))
        try easy.set(CURLOPT_PROTOCOLS_STR, protocols)
        try easy.set(CURLOPT_REDIR_PROTOCOLS_STR, protocols)
        try easy.set(CURLOPT_FOLLOWLOCATION, false)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeoutMillis ?? configuration.connectTimeoutMillis)
        try easy.set(CURLOPT_TIMEOUT_MS, request.totalTimeoutMillis ?? configuration.totalTimeoutMillis)
        try easy.set(CURLOPT_SSL_VERIFYPEER, true)
        try easy.set(CURLOPT_SSL_VERIFYHOST, 2)
        if let ca = configuration.caFile { try easy.set(CURLOPT_CAINFO, ca) }
        try easy.set(CURLOPT_PROXY, configuration.proxy ?? "")
        try easy.set(CURLOPT_USERAGENT, configuration.userAgent)
        try easy.set(CURLOPT_TCP_KEEPALIVE, true)
        try easy.set(CURLOPT_MAXFILESIZE_LARGE, offset: Int64(configuration.maxResponseBytes))
        try easy.set(CURLOPT_WRITEFUNCTION, callback: TransferContext.writeBody)
        try easy.set(CURLOPT_WRITEDATA, pointer: ctx.opaque)
        try easy.set(CURLOPT_HEADERFUNCTION, callback: TransferContext.writeHeader)
        try easy.set(CURLOPT_HEADERDATA, pointer: ctx.opaque)
        if let auth = request.basicAuth {
            try easy.set(CURLOPT_HTTPAUTH, ccurl_auth_basic())
            try easy.set(CURLOPT_USERNAME, auth.user)
            try easy.set(CURLOPT_PASSWORD, auth.password)
        }
    }

    private func setMethodAndBody(_ request: HTTPClientRequest) throws(TransportError) {
        let method = request.method.uppercased()
        guard HeaderRules.isToken(method) else {
            throw TransportError(.invalidRequest, message: "invalid method")
        }
        switch method {
        case "GET" where request.body.isEmpty:
            try easy.set(CURLOPT_HTTPGET, true)
        case "HEAD":
            try easy.set(CURLOPT_NOBODY, true)
        default:
            // POSTFIELDS (not a read callback) so curl never falls back to reading stdin; the copy
            // lives in curl until the next reset.
            if method != "POST" { try easy.set(CURLOPT_CUSTOMREQUEST, method) }
            try easy.set(CURLOPT_POST, true)
            try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(request.body.count))
            try easy.copyPostFields(request.body)
        }
    }

    private func headerList(for request: HTTPClientRequest) throws(TransportError) -> CurlStringList {
        let list = CurlStringList()
        for (name, value) in request.headers {
            guard HeaderRules.isToken(name), HeaderRules.isSafeValue(value) else {
                throw TransportError(.invalidRequest, message: "invalid header name or value")
            }
            // "Name;" is curl's syntax for a header with an empty value.
            list.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        // No `Expect: 100-continue` round trip for bodies over 1 KiB.
        list.append("Expect:")
        return list
    }
}
