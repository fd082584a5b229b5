import RelayCrypto

/// Twilio's request signature (`X-Twilio-Signature`): base64(HMAC-SHA1(auth token, URL + every
/// form parameter's name and value, sorted by name)). The URL is the one Twilio was given (the
/// callback URL), checked as given, and with the default port added or removed, as Twilio's own
/// validators do (a proxy may add or drop `:443`). Compared in constant time.
enum TwilioSignature {
    static func compute(url: String, parameters: [(String, String)], authToken: String) -> String {
        var data = Array(url.utf8)
        // Sorted by name, then value (repeated names keep a stable order), on bytes.
        let sorted = parameters.sorted { a, b in
            a.0 == b.0
                ? Array(a.1.utf8).lexicographicallyPrecedes(Array(b.1.utf8)) : Array(a.0.utf8).lexicographicallyPrecedes(Array(b.0.utf8))
        }
        for (name, value) in sorted {
            data.append(contentsOf: name.utf8)
            data.append(contentsOf: value.utf8)
        }
        return Base64.encode(Crypto.hmacSHA1(key: Array(authToken.utf8), data: data))
    }

    static func isValid(signature: String?, url: String, parameters: [(String, String)], authToken: String) -> Bool {
        guard let signature, !signature.isEmpty, signature.utf8.count <= 64 else { return false }
        let given = Array(signature.utf8)
        var ok = false
        for candidate in urlVariants(url) {
            let expected = Array(compute(url: candidate, parameters: parameters, authToken: authToken).utf8)
            // Every variant is computed and compared: the time does not tell which one matched.
            if Crypto.constantTimeEquals(expected, given) { ok = true }
        }
        return ok
    }

    /// The URL as given, and with its scheme's default port added (when it has none) or removed
    /// (when it has the default one).
    static func urlVariants(_ url: String) -> [String] {
        guard let schemeEnd = url.range(of: "://") else { return [url] }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard let port = scheme == "https" ? "443" : scheme == "http" ? "80" : nil else { return [url] }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let tail = rest[authorityEnd...]
        let prefix = url[..<schemeEnd.upperBound]
        // The host part after any user info; a bracketed IPv6 host has colons of its own.
        let hostStart = authority.lastIndex(of: "@").map { authority.index(after: $0) } ?? authority.startIndex
        let hostPort = authority[hostStart...]
        let userInfo = authority[..<hostStart]
        if let colon = hostPort.lastIndex(of: ":"), !hostPort[colon...].contains("]") {
            let host = hostPort[..<colon]
            guard hostPort[hostPort.index(after: colon)...] == port else { return [url] }
            return [url, String(prefix + userInfo + host + tail)]
        }
        return [url, String(prefix + userInfo + hostPort + ":" + port + tail)]
    }
}

/// Meta's webhook signature (`X-Hub-Signature-256`): `sha256=` + hex(HMAC-SHA256(app secret, the
/// raw body)), compared in constant time.
struct MetaSignature: Sendable {
    private let key: HMACKey

    init(appSecret: String) { key = HMACKey(Array(appSecret.utf8)) }

    func header(for body: [UInt8]) -> String { "sha256=" + Crypto.hex(key.mac(body)) }

    func isValid(header: String?, body: [UInt8]) -> Bool {
        guard let header, header.utf8.count == 71 else { return false }
        return Crypto.constantTimeEquals(Array(header.lowercased().utf8), Array(self.header(for: body).utf8))
    }
}
