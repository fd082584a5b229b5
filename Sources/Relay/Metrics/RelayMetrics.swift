import Synchronization

/// In-process counters for the webhook path (exported on the admin listener's /metrics).
public final class RelayMetrics: Sendable {
    private let acceptedCount = Atomic<Int>(0)
    private let duplicateCount = Atomic<Int>(0)
    private let rejectedByReason = Mutex<[String: Int]>([:])

    public init() {}

    func accepted(duplicate: Bool) {
        acceptedCount.add(1, ordering: .relaxed)
        if duplicate { duplicateCount.add(1, ordering: .relaxed) }
    }

    func rejected(_ reason: String) {
        rejectedByReason.withLock { $0[reason, default: 0] += 1 }
    }

    public var accepted: Int { acceptedCount.load(ordering: .relaxed) }
    public var duplicates: Int { duplicateCount.load(ordering: .relaxed) }
    public var rejected: [String: Int] { rejectedByReason.withLock { $0 } }
}
