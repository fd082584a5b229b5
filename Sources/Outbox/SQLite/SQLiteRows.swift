/// Rows read back into records, column by column in the order of `OperationsSQL.jobColumns` and
/// `OperationsSQL.attemptColumns`.
enum SQLiteRows {
    static func jobRecord(_ s: SQLiteStatement) -> JobRecord {
        JobRecord(
            id: s.string(0), kind: JobKind(rawValue: s.string(1)) ?? .otp, channel: s.string(2),
            status: JobStatus(rawValue: s.string(3)) ?? .dead, attempts: s.int(4),
            provider: s.optionalString(5), lastError: s.optionalString(6), createdAt: s.int64(7),
            updatedAt: s.int64(8), runAt: s.int64(9), expiresAt: s.int64(10), sentAt: s.optionalInt64(11),
            recipientMasked: s.string(12), routeStep: s.int(13), leaseUntil: s.optionalInt64(14),
            hasPayload: s.int(15) != 0, language: s.optionalString(16), app: s.optionalString(17))
    }

    static func attemptRecord(_ s: SQLiteStatement) -> AttemptRecord {
        AttemptRecord(
            jobID: s.string(0), attempt: s.int(1), routeStep: s.int(2), channel: s.string(3),
            provider: s.optionalString(4), startedAt: s.int64(5), finishedAt: s.int64(6),
            outcome: AttemptOutcome(rawValue: s.string(7)) ?? .permanent, httpStatus: s.optionalInt(8),
            smtpStatus: s.optionalInt(9), providerMessageID: s.optionalString(10),
            errorClass: s.optionalString(11), errorMessage: s.optionalString(12), latencyMillis: s.int64(13))
    }
}
