/// How long a fetched JWKS is trusted and how often it may be fetched again.
public struct JWKSCachePolicy: Sendable, Equatable {
    public static let defaultRefreshCooldownSeconds: Int64 = 30
    public static let defaultMinimumTTLSeconds: Int64 = 60
    public static let defaultMaximumTTLSeconds: Int64 = 86_400
    public static let defaultTTLSeconds: Int64 = 900
    public static let defaultFetchWaitSeconds: Int64 = 15
    public static let defaultMaxBodyBytes = 256 * 1024

    /// No two fetches start closer together than this, whatever the reason (an unknown `kid`, an
    /// expired set, a failed fetch). A storm of tokens with made-up `kid`s costs one fetch at most.
    public var refreshCooldownSeconds: Int64
    /// `Cache-Control: max-age` is honoured within these bounds (`no-cache`/`no-store` mean the
    /// minimum)…
    public var minimumTTLSeconds: Int64
    public var maximumTTLSeconds: Int64
    /// …and this is used when the response says nothing.
    public var defaultTTLSeconds: Int64
    /// How long a caller waits for a fetch another caller started before giving up on it.
    public var fetchWaitSeconds: Int64
    /// A larger JWKS response is refused.
    public var maxBodyBytes: Int

    public init(
        refreshCooldownSeconds: Int64 = defaultRefreshCooldownSeconds,
        minimumTTLSeconds: Int64 = defaultMinimumTTLSeconds,
        maximumTTLSeconds: Int64 = defaultMaximumTTLSeconds,
        defaultTTLSeconds: Int64 = defaultTTLSeconds,
        fetchWaitSeconds: Int64 = defaultFetchWaitSeconds,
        maxBodyBytes: Int = defaultMaxBodyBytes
    ) {
        self.refreshCooldownSeconds = refreshCooldownSeconds
        self.minimumTTLSeconds = minimumTTLSeconds
        self.maximumTTLSeconds = maximumTTLSeconds
        self.defaultTTLSeconds = defaultTTLSeconds
        self.fetchWaitSeconds = fetchWaitSeconds
        self.maxBodyBytes = maxBodyBytes
    }

    /// The lifetime for a response with this `Cache-Control` value, in seconds.
    public func ttlSeconds(cacheControl: String?) -> Int64 {
        guard let cacheControl else { return clamp(defaultTTLSeconds) }
        var ttl: Int64?
        for directive in cacheControl.split(separator: ",") {
            let d = directive.trimmingSpaces().lowercased()
            if d == "no-store" || d == "no-cache" { return minimumTTLSeconds }
            if d.hasPrefix("max-age=") {
                var v = d.dropFirst("max-age=".count)
                if v.count >= 2, v.first == "\"", v.last == "\"" { v = v.dropFirst().dropLast() }
                if let n = Int64(v), n >= 0 { ttl = n } else { ttl = 0 }
            }
        }
        return clamp(ttl ?? defaultTTLSeconds)
    }

    private func clamp(_ v: Int64) -> Int64 { min(max(v, minimumTTLSeconds), maximumTTLSeconds) }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
