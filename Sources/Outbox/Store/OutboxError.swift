/// A failure of the outbox. `unavailable` means the store cannot commit right now (disk full, I/O
/// error, locked beyond the busy timeout, shutting down): the webhook answers 503 and the caller
/// may retry. Descriptions name result codes (SQLite's, or another store's) and job ids only, never a bound value.
public struct OutboxError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The store cannot commit now; nothing of the request was stored.
        case unavailable
        /// The request itself is invalid (a bad filter, a value the schema rejects).
        case invalidRequest
        /// Opening or migrating the database failed.
        case startup
    }

    public let code: Code
    /// Safe text for logs: a SQLite result code name, a field name, a job id.
    public let detail: String

    init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    /// For pattern matching: `error == .unavailable` compares codes only.
    public static let unavailable = OutboxError(code: .unavailable, detail: "")
    public static let invalidRequest = OutboxError(code: .invalidRequest, detail: "")

    static func unavailable(_ detail: String) -> OutboxError { .init(code: .unavailable, detail: detail) }
    static func invalidRequest(_ detail: String) -> OutboxError { .init(code: .invalidRequest, detail: detail) }

    /// Opening or migrating the store failed (`detail`: safe text, no secret).
    public static func startup(_ detail: String) -> OutboxError { .init(code: .startup, detail: detail) }

    public static func == (a: OutboxError, b: OutboxError) -> Bool { a.code == b.code }

    public var description: String {
        detail.isEmpty ? "outbox \(code.rawValue)" : "outbox \(code.rawValue): \(detail)"
    }
}
