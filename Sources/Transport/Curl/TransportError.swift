import CCurl

/// A transfer that produced no usable response. The description names the failure class and
/// libcurl's generic text for the code; it never holds a URL, header, body or credential.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// DNS resolution or TCP connect failed; nothing was sent.
        case connect
        /// A connect or total timeout expired.
        case timeout
        /// TLS handshake or certificate verification failed, or the server refused TLS.
        case tls
        /// The URL's scheme or host is not allowed (e.g. `http://` to a non-loopback host).
        case protocolNotAllowed
        /// The response exceeded `maxResponseBytes` or `maxHeaderBytes`.
        case tooLarge
        /// The request itself is malformed (bad URL, method or header).
        case invalidRequest
        /// The server refused the login (SMTP AUTH).
        case authentication
        /// Anything else: connection reset, protocol errors, server replies (SMTP 4xx/5xx).
        case other
    }

    public let kind: Kind
    /// libcurl's CURLcode, 0 when the error was raised before the transfer.
    public let curlCode: Int32
    /// The last protocol reply code seen (SMTP reply, HTTP status), 0 when none.
    public let replyCode: Int
    public let message: String

    /// For callers' own checks and for test doubles; `message` must hold no secret.
    public init(_ kind: Kind, curlCode: Int32 = 0, replyCode: Int = 0, message: String) {
        self.kind = kind
        self.curlCode = curlCode
        self.replyCode = replyCode
        self.message = message
    }

    /// Maps a failed CURLcode; `tooLarge` tells that our write callback stopped the transfer.
    init(curl code: CURLcode, replyCode: Int = 0, tooLarge: Bool = false) {
        let kind: Kind
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            kind = .connect
        case CURLE_OPERATION_TIMEDOUT:
            kind = .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_USE_SSL_FAILED, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_INVALIDCERTSTATUS:
            kind = .tls
        case CURLE_UNSUPPORTED_PROTOCOL:
            kind = .protocolNotAllowed
        case CURLE_FILESIZE_EXCEEDED:
            kind = .tooLarge
        case CURLE_WRITE_ERROR where tooLarge:
            kind = .tooLarge
        case CURLE_URL_MALFORMAT:
            kind = .invalidRequest
        case CURLE_LOGIN_DENIED:
            kind = .authentication
        default:
            kind = .other
        }
        let text = String(cString: curl_easy_strerror(code))
        self.init(kind, curlCode: Int32(bitPattern: code.rawValue), replyCode: replyCode, message: text)
    }

    public var description: String {
        var s = "\(kind.rawValue): \(message)"
        if curlCode != 0 { s += " (curl \(curlCode))" }
        if replyCode != 0 { s += " (reply \(replyCode))" }
        return s
    }
}
