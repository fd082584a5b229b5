/// Limits and tunables of the SQLite outbox, with named defaults. Lengths of time are `Duration`s
/// (stored to the millisecond).
public struct OutboxOptions: Sendable {
    /// Most requests the writer commits in one transaction.
    public var maxBatchSize: Int = 2_048
    /// How long a write waits for a lock held by another process before failing as busy.
    public var busyTimeout: Duration = .seconds(5)
    /// The WAL file is truncated to this size when it starts over (`journal_size_limit`).
    public var journalSizeLimitBytes: Int64 = 16 << 20
    /// Past this size the checkpointer escalates from PASSIVE to TRUNCATE (when no reader holds
    /// an older snapshot), emptying the WAL file. Above `journalSizeLimitBytes`: SQLite keeps the
    /// file at up to that size when the WAL starts over, so a lower bound was passed at every
    /// checkpoint and each TRUNCATE took the write lock the one writer needs (ingest p99 24 ms
    /// against 7.8 ms without checkpoints, docs/benchmarks.md); at twice it, TRUNCATE runs only when
    /// the WAL grew past what SQLite trims by itself (a reader held it back) and after erasures.
    public var walTruncateBytes: Int64 = 32 << 20
    /// Past this size the WAL is reported as degraded (`WriterStatistics.walDegraded`, `/readyz`):
    /// a reader on an old snapshot keeps every checkpoint from copying past it; 0 for no bound.
    public var walDegradedBytes: Int64 = 64 << 20
    /// After a commit that erased payloads, a TRUNCATE checkpoint follows within this time, so
    /// erased bytes leave the WAL file too (erasures in between share it).
    public var erasureCheckpointDelay: Duration = .seconds(1)
    /// WAL frames after which a background thread checkpoints (copies the WAL into the database
    /// file); 0 disables checkpoints, which leaves the WAL growing (tests only).
    public var checkpointPages: Int = 1_000
    /// SQLite page cache per connection.
    public var cacheSizeKiB: Int = 4_096
    /// Largest page of results `jobs(matching:)` returns.
    public var maxListLimit: Int = 1_000
    /// The longest dedupe window honoured (longer ones are cut to it); jobs created this long ago
    /// are read back into the in-memory dedupe index at start-up.
    public var maxDedupeWindow: Duration = .seconds(300)
    /// Most dedupe keys kept in memory; past it the oldest leave first (a repeat then becomes a
    /// new job). About 80 bytes each: 50k keeps a 60 s window whole up to ~830 OTP/s (far above one
    /// BU's SIMAS-ID traffic) and bounds the index to ~4 MB under any load.
    public var maxDedupeEntries: Int = 50_000
    /// Most attempts `attemptSummary(since:)` reads (the newest in the window).
    public var maxStatisticsRows: Int = 100_000
    /// Caps the database size in pages (`PRAGMA max_page_count`) on the writer; nil for no cap.
    /// Operators can bound disk use with it; tests use it to simulate a full disk.
    public var maxPageCount: Int? = nil
    /// Refuse to open with a data key other than the one the database records (and record it on
    /// first open). Off only for operator reads that have no key and open no payload.
    public var verifyDataKey = true
    /// The delivery's `retry.max_attempts`: a job a dead owner left `sending`, returned to the
    /// queue at the owner's start with its lost try counted, ends `dead` once its tries reach it
    /// (as a rescued job does). `Int.max`: no cap (callers that do not deliver).
    public var maxAttempts: Int = .max

    public init() {}
}
