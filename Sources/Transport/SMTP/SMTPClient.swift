import CCurl

/// A blocking SMTP submission client on one libcurl easy handle; not Sendable, one per worker.
///
/// TLS is mandatory: `smtps://`, or `smtp://` with STARTTLS required (a server that does not
/// offer it is refused before AUTH or any envelope is sent). Certificates are verified.
/// A rejected reply throws with `replyCode` set (4xx transient, 5xx permanent).
public final class SMTPClient {
    public let configuration: SMTPClientConfiguration
    private let easy = CurlEasy()

    public init(configuration: SMTPClientConfiguration = SMTPClientConfiguration()) {
        self.configuration = configuration
    }

    /// Sends one message; returns the server's final reply code (250).
    public func send(_ submission: SMTPSubmission) throws(TransportError) -> Int {
        let resources = try SMTPClient.configure(easy, submission: submission, configuration: configuration)
        let code = withExtendedLifetime(resources) { easy.perform() }
        return try SMTPClient.reply(easy, code: code).get()
    }

    /// Sets every option of one submission on `easy` (after a reset): the blocking client and a
    /// transfer on the multi interface (`CurlTransfer.smtp`) share it.
    static func configure(
        _ easy: CurlEasy, submission: SMTPSubmission, configuration: SMTPClientConfiguration
    ) throws(TransportError) -> TransferResources {
        let (url, protocols) = try URLPolicy.check(
            submission.url, secure: "smtps", plain: "smtp", allowPlainToLoopback: true, plainIsUpgraded: true)
        for address in [submission.mailFrom] + submission.recipients where !SMTPClient.isEnvelopeSafe(address) {
            throw TransportError(.invalidRequest, message: "invalid envelope address")
        }
        guard !submission.recipients.isEmpty else {
            throw TransportError(.invalidRequest, message: "no recipients")
        }
        let rcpts = CurlStringList(submission.recipients.map { "<\($0)>" })
        let ctx = TransferContext(maxBodyBytes: 64 << 10, maxHeaderBytes: 64 << 10)
        ctx.upload = submission.message

        easy.reset()
        try easy.set(CURLOPT_NOSIGNAL, true)
        try easy.set(CURLOPT_CURLU, pointer: UnsafeRawPointer(url.handle))
        try easy.set(CURLOPT_PROTOCOLS_STR, protocols)
        try easy.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        try easy.set(CURLOPT_SSL_VERIFYPEER, true)
        try easy.set(CURLOPT_SSL_VERIFYHOST, 2)
        if let ca = configuration.caFile { try easy.set(CURLOPT_CAINFO, ca) }
        try easy.set(CURLOPT_PROXY, "")
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeoutMillis)
        try easy.set(CURLOPT_TIMEOUT_MS, configuration.totalTimeoutMillis)
        if let user = submission.username { try easy.set(CURLOPT_USERNAME, user) }
        if let password = submission.password { try easy.set(CURLOPT_PASSWORD, password) }
        try easy.set(CURLOPT_MAIL_FROM, "<\(submission.mailFrom)>")
        try easy.set(CURLOPT_MAIL_RCPT, slist: rcpts.head)
        try easy.set(CURLOPT_UPLOAD, true)
        try easy.set(CURLOPT_INFILESIZE_LARGE, offset: Int64(submission.message.count))
        try easy.set(CURLOPT_READFUNCTION, callback: TransferContext.readUpload)
        try easy.set(CURLOPT_READDATA, pointer: ctx.opaque)
        try easy.set(CURLOPT_WRITEFUNCTION, callback: TransferContext.writeBody)
        try easy.set(CURLOPT_WRITEDATA, pointer: ctx.opaque)
        return TransferResources(url: url, list: rcpts, context: ctx)
    }

    /// The server's final reply once the transfer ended with `code`.
    static func reply(_ easy: CurlEasy, code: CURLcode) -> Result<Int, TransportError> {
        try? easy.set(CURLOPT_MAIL_RCPT, slist: nil)
        try? easy.set(CURLOPT_CURLU, pointer: nil)
        let reply = easy.infoLong(CURLINFO_RESPONSE_CODE)
        guard code == CURLE_OK else { return .failure(TransportError(curl: code, replyCode: reply)) }
        return .success(reply)
    }

    /// An envelope address: printable ASCII without space, `<`, `>` or control characters.
    static func isEnvelopeSafe(_ address: String) -> Bool {
        !address.isEmpty && address.utf8.count <= 254
            && address.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
    }
}
