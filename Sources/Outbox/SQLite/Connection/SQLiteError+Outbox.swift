extension OutboxError {
    /// A store-wide SQLite failure is `.unavailable` (503); one of a single row is `.invalidRequest`.
    static func from(_ e: SQLiteError) -> OutboxError {
        e.isStoreWide ? .unavailable(e.description) : .invalidRequest(e.description)
    }

    static func startup(_ e: SQLiteError) -> OutboxError {
        .startup(e.description)
    }
}
