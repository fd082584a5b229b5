import CCurl

/// A URL parsed by libcurl's own parser (CURLU), handed to the transfer as is with CURLOPT_CURLU,
/// so the host we check is the host curl connects to (no parser differential).
final class CurlURL {
    let handle: OpaquePointer

    /// nil when libcurl rejects the text as a URL (a scheme is required).
    init?(_ text: String) {
        guard let h = curl_url() else { return nil }
        handle = h
        guard curl_url_set(h, CURLUPART_URL, text, 0) == CURLUE_OK else { return nil }
    }

    deinit { curl_url_cleanup(handle) }

    func part(_ which: CURLUPart) -> String? {
        var out: UnsafeMutablePointer<CChar>?
        guard curl_url_get(handle, which, &out, 0) == CURLUE_OK, let out else { return nil }
        defer { curl_free(out) }
        return String(cString: out)
    }

    /// Lower-cased scheme (`http`, `https`, `smtp`, …).
    var scheme: String? { part(CURLUPART_SCHEME)?.lowercased() }
    /// Host as curl sees it; IPv6 literals keep their brackets.
    var host: String? { part(CURLUPART_HOST)?.lowercased() }
    var hasUserInfo: Bool { part(CURLUPART_USER) != nil || part(CURLUPART_PASSWORD) != nil }

    /// 127.0.0.1, ::1 and localhost: where plain-text protocols may be allowed.
    var isLoopback: Bool {
        guard let host else { return false }
        return host == "127.0.0.1" || host == "[::1]" || host == "localhost"
    }
}

enum URLPolicy {
    /// Checks a URL against the scheme policy and returns it with the libcurl protocol list
    /// to restrict the transfer to: `secure` everywhere, `plain` only to loopback when allowed,
    /// or anywhere when `plainIsUpgraded` (SMTP with STARTTLS required).
    static func check(
        _ text: String, secure: String, plain: String, allowPlainToLoopback: Bool, plainIsUpgraded: Bool = false
    ) throws(TransportError) -> (CurlURL, String) {
        if let colon = text.firstIndex(of: ":") {
            let scheme = text[..<colon].lowercased()
            if scheme != secure && scheme != plain && scheme.allSatisfy({ $0.isLetter || $0 == "+" }) {
                throw TransportError(.protocolNotAllowed, message: "scheme not allowed; use \(secure)://")
            }
        }
        guard let url = CurlURL(text), let scheme = url.scheme, url.host != nil else {
            throw TransportError(.invalidRequest, message: "malformed URL")
        }
        guard !url.hasUserInfo else {
            throw TransportError(.invalidRequest, message: "credentials in the URL are not allowed")
        }
        if scheme == secure { return (url, secure) }
        if scheme == plain {
            guard plainIsUpgraded || (allowPlainToLoopback && url.isLoopback) else {
                throw TransportError(.protocolNotAllowed, message: "\(plain):// is allowed only to loopback; use \(secure)://")
            }
            return (url, plain)
        }
        throw TransportError(.protocolNotAllowed, message: "scheme not allowed; use \(secure)://")
    }
}
