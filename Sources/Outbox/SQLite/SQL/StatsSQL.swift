/// SQL of the aggregates behind the status page, `/metrics` and `otp-relay stats`.
enum StatsSQL {
    static let countsByStatus = """
        SELECT status, count(*) FROM jobs WHERE (:channel IS NULL OR channel = :channel) GROUP BY status
        """

    /// The newest attempts in the window, capped; grouped and ranked in Swift.
    static let attemptLatencies = """
        SELECT channel, provider, outcome, latency_ms FROM attempts INDEXED BY attempts_finished
        WHERE finished_at >= :since ORDER BY finished_at DESC LIMIT :limit
        """

    static let recentFailures = """
        SELECT \(OperationsSQL.attemptColumns)
        FROM attempts WHERE outcome <> 'sent' ORDER BY id DESC LIMIT :limit
        """

    static let attemptCounts = """
        SELECT channel, coalesce(provider, '-'), outcome, count(*) FROM attempts
        WHERE finished_at >= :since GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        """

    static let sentCount = "SELECT count(*) FROM jobs WHERE status IN ('sent', 'delivered', 'undelivered') AND sent_at >= :since"

    /// The latency at rank `:offset` among jobs sent since `:since`.
    static let sentLatencyAt = """
        SELECT sent_at - created_at AS l FROM jobs WHERE status IN ('sent', 'delivered', 'undelivered') AND sent_at >= :since
        ORDER BY l LIMIT 1 OFFSET :offset
        """

    /// `delivery_stats_minute` (0002) for the window, through the `attempts_finished` index: tries
    /// per minute and outcome.
    static let attemptsPerMinute = """
        SELECT (finished_at / 60000) * 60000 AS minute, outcome, count(*) FROM attempts INDEXED BY attempts_finished
        WHERE finished_at >= :since GROUP BY 1, 2 ORDER BY 1, 2
        """

    /// Accept → provider-accepted latency of jobs sent since `:since` (also those a receipt then
    /// judged, as `sentLatencyAt`), counted per bucket.
    static let sentLatencyHistogram = """
        SELECT \(LatencyHistogram.bucketSQL) AS b, count(*) FROM
        (SELECT sent_at - created_at AS l FROM jobs WHERE status IN ('sent', 'delivered', 'undelivered') AND sent_at >= :since)
        GROUP BY b
        """

    /// Accept → delivered (the delivered receipt) latency of jobs delivered since `:since`, per bucket.
    static let deliveredLatencyHistogram = """
        SELECT \(LatencyHistogram.bucketSQL) AS b, count(*) FROM
        (SELECT delivered_at - created_at AS l FROM jobs WHERE status = 'delivered' AND delivered_at >= :since) GROUP BY b
        """

    static let oldestQueued = "SELECT channel, min(created_at) FROM jobs WHERE status = 'queued' GROUP BY channel"
}
