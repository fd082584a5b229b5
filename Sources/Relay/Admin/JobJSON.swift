import Outbox
import RelayCore

/// JSON renderings of jobs, attempts and counts for the admin API and the CLI's `--json`.
/// Built from `JobRecord`/`AttemptRecord`, which hold no secret and a masked recipient only.
public enum JobJSON {
    static func field(_ k: String, _ v: String?) -> String { "\(JSONText.quote(k)):\(v.map(JSONText.quote) ?? "null")" }
    static func field(_ k: String, _ v: Int64?) -> String { "\(JSONText.quote(k)):\(v.map { String($0) } ?? "null")" }
    static func field(_ k: String, _ v: Int?) -> String { "\(JSONText.quote(k)):\(v.map { String($0) } ?? "null")" }
    static func field(_ k: String, _ v: Bool) -> String { "\(JSONText.quote(k)):\(v)" }

    public static func job(_ j: JobRecord) -> String {
        "{"
            + [
                field("id", j.id), field("kind", j.kind.rawValue), field("channel", j.channel),
                field("status", j.status.rawValue), field("attempts", j.attempts), field("provider", j.provider),
                field("last_error", j.lastError), field("to", j.recipientMasked), field("created_at", j.createdAt),
                field("updated_at", j.updatedAt), field("run_at", j.runAt), field("expires_at", j.expiresAt),
                field("sent_at", j.sentAt), field("route_step", j.routeStep), field("has_payload", j.hasPayload),
            ].joined(separator: ",") + "}"
    }

    public static func attempt(_ a: AttemptRecord) -> String {
        "{"
            + [
                field("attempt", a.attempt), field("route_step", a.routeStep), field("channel", a.channel),
                field("provider", a.provider), field("started_at", a.startedAt), field("finished_at", a.finishedAt),
                field("outcome", a.outcome.rawValue), field("http_status", a.httpStatus), field("smtp_status", a.smtpStatus),
                field("provider_message_id", a.providerMessageID), field("error_class", a.errorClass),
                field("error_message", a.errorMessage), field("latency_ms", a.latencyMillis),
            ].joined(separator: ",") + "}"
    }

    public static func jobWithAttempts(_ j: JobRecord, _ attempts: [AttemptRecord], receipts: [ReceiptRecord] = []) -> String {
        String(job(j).dropLast()) + ",\"attempts_detail\":[" + attempts.map(attempt).joined(separator: ",") + "]"
            + ",\"receipts\":[" + receipts.map(receipt).joined(separator: ",") + "]}"
    }

    /// One receipt event: provider status and error code only (never the provider's texts).
    public static func receipt(_ r: ReceiptRecord) -> String {
        "{"
            + [
                field("attempt", r.attempt), field("provider", r.provider), field("provider_message_id", r.providerMessageID),
                field("kind", r.kind.rawValue), field("provider_status", r.providerStatus), field("error_code", r.errorCode),
                field("received_at", r.receivedAt), field("effect", r.effect),
            ].joined(separator: ",") + "}"
    }

    public static func list(_ jobs: [JobRecord]) -> String {
        "{\"jobs\":[" + jobs.map(job).joined(separator: ",") + "],\"count\":\(jobs.count)"
            + (jobs.count > 0 ? ",\"next_before\":\(JSONText.quote(jobs.last!.id))" : "") + "}"
    }

    public static func counts(_ c: [JobStatus: Int]) -> String {
        "{" + JobStatus.allCases.map { "\(JSONText.quote($0.rawValue)):\(c[$0] ?? 0)" }.joined(separator: ",") + "}"
    }
}
