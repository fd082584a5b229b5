import RelayCore

/// Receipts (`JobReceiptStore`): recorded through the single writer, read on the read connection.
extension SQLiteOutbox {
    public func recordReceipt(
        _ receipt: Receipt, executor: (any CompletionExecutor)?,
        decide: @escaping @Sendable (ReceiptTarget) -> ReceiptTransition,
        completion: @escaping @Sendable (Result<ReceiptResult, OutboxError>) -> Void
    ) {
        let item = ReceiptItem(receipt: receipt, executor: executor, decide: decide, completion: completion)
        if !writer.submit(item) {
            completion(.failure(.unavailable("outbox is closed")))
        }
    }

    public func receipts(jobID: String) throws(OutboxError) -> [ReceiptRecord] { try queries.receipts(jobID: jobID) }
}

extension SQLiteReadOnlyStore {
    public func receipts(jobID: String) throws(OutboxError) -> [ReceiptRecord] { try queries.receipts(jobID: jobID) }
}

extension SQLiteQueries {
    func receipts(jobID: String) throws(OutboxError) -> [ReceiptRecord] {
        try reader.rows(ReceiptSQL.list, bind: { $0.bind(jobID, to: ":job_id") }) { s throws(SQLiteError) in
            let code = s.string(6)
            return ReceiptRecord(
                jobID: s.string(0), attempt: s.int(1), provider: s.string(2), providerMessageID: s.string(3),
                kind: ReceiptKind(rawValue: s.string(4)) ?? .progress, providerStatus: s.string(5),
                errorCode: code.isEmpty ? nil : code, receivedAt: s.int64(7), effect: s.string(8))
        }
    }
}
