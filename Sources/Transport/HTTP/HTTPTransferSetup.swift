import CCurl

/// What a configured transfer points at: libcurl keeps raw pointers to these, so they must live
/// until the transfer ended (the blocking client keeps them across `perform`, the multi driver in
/// the `CurlTransfer`).
final class TransferResources {
    let url: CurlURL
    let list: CurlStringList
    let context: TransferContext

    init(url: CurlURL, list: CurlStringList, context: TransferContext) {
        self.url = url
        self.list = list
        self.context = context
    }
}

/// Configures an easy handle for one HTTP request: the same options for the blocking
/// `HTTPClient` and for a transfer on the multi interface (`CurlTransfer.http`).
enum HTTPTransferSetup {
    /// Checks the request against the URL policy and sets every option on `easy` (after a reset;
    /// `alreadyReset`: the caller hands a handle reset since its last transfer, as the multi
    /// driver's idle handles are).
    static func configure(
        _ easy: CurlEasy, request: HTTPClientRequest, configuration: HTTPClientConfiguration, alreadyReset: Bool = false
    ) throws(TransportError) -> TransferResources {
        let (url, protocols) = try URLPolicy.check(
            request.url, secure: "https", plain: "http",
            allowPlainToLoopback: configuration.allowPlainHTTPToLoopback)
        let headers = try headerList(for: request)
        let ctx = TransferContext(
            maxBodyBytes: configuration.maxResponseBytes,
            maxHeaderBytes: configuration.maxHeaderBytes)
        if !alreadyReset { easy.reset() }
        try setCommonOptions(easy, url: url, protocols: protocols, request: request, configuration: configuration, context: ctx)
        try easy.set(CURLOPT_HTTPHEADER, slist: headers.head)
        try setMethodAndBody(easy, request)
        return TransferResources(url: url, list: headers, context: ctx)
    }

    /// The response once the transfer ended with `code`.
    static func response(
        _ easy: CurlEasy, code: CURLcode, resources: TransferResources, elapsedMillis: Int64
    ) -> Result<HTTPClientResponse, TransportError> {
        // Unhook the pointers we own so a later reset-less use can never see them.
        try? easy.set(CURLOPT_HTTPHEADER, slist: nil)
        try? easy.set(CURLOPT_CURLU, pointer: nil)
        let status = easy.infoLong(CURLINFO_RESPONSE_CODE)
        guard code == CURLE_OK else {
            return .failure(TransportError(curl: code, replyCode: status, tooLarge: resources.context.tooLarge))
        }
        let ctx = resources.context
        return .success(HTTPClientResponse(status: status, headers: ctx.headers, body: ctx.body, durationMillis: elapsedMillis))
    }

    private static func setCommonOptions(
        _ easy: CurlEasy, url: CurlURL, protocols: String, request: HTTPClientRequest,
        configuration: HTTPClientConfiguration, context ctx: TransferContext
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

    private static func setMethodAndBody(_ easy: CurlEasy, _ request: HTTPClientRequest) throws(TransportError) {
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

    private static func headerList(for request: HTTPClientRequest) throws(TransportError) -> CurlStringList {
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
