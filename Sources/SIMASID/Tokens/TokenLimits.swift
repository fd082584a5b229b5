/// Size limits applied before and while a token is parsed; an access token from SIMAS-ID is well
/// under 2 KiB, so the defaults leave room without letting a request make us parse megabytes.
public struct TokenLimits: Sendable, Equatable {
    public static let defaultMaxTokenBytes = 8192
    public static let defaultMaxHeaderBytes = 1024
    public static let defaultMaxPayloadBytes = 6144
    public static let defaultMaxJSONDepth = 16

    /// The compact token as received.
    public var maxTokenBytes: Int
    /// The decoded protected header.
    public var maxHeaderBytes: Int
    /// The decoded claims.
    public var maxPayloadBytes: Int
    /// Nesting of JSON objects and arrays in the header and claims.
    public var maxJSONDepth: Int

    public init(
        maxTokenBytes: Int = defaultMaxTokenBytes, maxHeaderBytes: Int = defaultMaxHeaderBytes,
        maxPayloadBytes: Int = defaultMaxPayloadBytes, maxJSONDepth: Int = defaultMaxJSONDepth
    ) {
        self.maxTokenBytes = maxTokenBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxPayloadBytes = maxPayloadBytes
        self.maxJSONDepth = maxJSONDepth
    }
}
