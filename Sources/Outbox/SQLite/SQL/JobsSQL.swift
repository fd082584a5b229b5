/// SQL of the ingest path and of the writer's housekeeping (the `jobs` table's inserts, the dedupe
/// index rebuild, the fencing-token high-water mark, batch transactions). Parameters are named
/// (`:id`) and bound with `SQLiteStatement.bind(_:to:)`.
enum JobsSQL {
    /// The current status of the first job of a repeat (dedupe answer).
    static let status = "SELECT status FROM jobs WHERE id = :id"

    /// One new job; `:created_at` also sets `updated_at`, `:dedupe_until` is NULL without a key.
    static let insert = """
        INSERT INTO jobs (id, kind, channel, status, attempts, created_at, updated_at, run_at, expires_at,
                          recipient_masked, recipient_hash, dedupe_key, dedupe_until, payload, route_step,
                          language, app)
        VALUES (:id, :kind, :channel, 'queued', 0, :created_at, :created_at, :run_at, :expires_at,
                :recipient_masked, :recipient_hash, :dedupe_key, :dedupe_until, :payload, 0, :language, :app)
        """

    /// Keys of jobs still inside their dedupe window, read into the writer's index at open.
    static let dedupeRebuild = """
        SELECT id, dedupe_key, created_at, dedupe_until FROM jobs INDEXED BY jobs_created
        WHERE created_at >= :created_from AND dedupe_until > :now AND dedupe_key IS NOT NULL ORDER BY created_at, id
        """

    /// The highest fencing token ever issued (tokens keep growing across restarts).
    static let maxLeaseToken = "SELECT coalesce(max(lease_token), 0) FROM jobs"

    // Batch transactions: run as cached statements (no parse per batch or item).
    static let begin = "BEGIN IMMEDIATE"
    static let commit = "COMMIT"
    static let rollback = "ROLLBACK"
    static func savepoint(_ name: String) -> String { "SAVEPOINT \(name)" }
    static func release(_ name: String) -> String { "RELEASE \(name)" }
    static func rollback(to name: String) -> String { "ROLLBACK TO \(name)" }
}
