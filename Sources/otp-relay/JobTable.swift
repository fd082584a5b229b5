import Foundation
import Outbox
import Relay

/// Plain-text renderings of jobs for the terminal (masked recipients only).
enum JobTable {
    static func render(_ jobs: [JobRecord]) -> String {
        var rows = [["ID", "KIND", "CHANNEL", "STATUS", "TRIES", "PROVIDER", "TO", "CREATED", "LAST ERROR"]]
        for j in jobs {
            rows.append([
                j.id, j.kind.rawValue, j.channel, j.status.rawValue, String(j.attempts), j.provider ?? "-",
                j.recipientMasked, TimeExpression.iso(j.createdAt), String((j.lastError ?? "").prefix(60)),
            ])
        }
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { r in r.indices.map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") }
            .joined(separator: "\n") + "\n\(jobs.count) job(s)"
    }

    static func detail(_ j: JobRecord, _ attempts: [AttemptRecord], _ receipts: [ReceiptRecord] = []) -> String {
        var out = """
            id:          \(j.id)
            kind:        \(j.kind.rawValue)
            channel:     \(j.channel)
            status:      \(j.status.rawValue)
            to:          \(j.recipientMasked)
            attempts:    \(j.attempts)
            provider:    \(j.provider ?? "-")
            last error:  \(j.lastError ?? "-")
            created:     \(TimeExpression.iso(j.createdAt))
            run at:      \(TimeExpression.iso(j.runAt))
            expires:     \(TimeExpression.iso(j.expiresAt))
            sent:        \(j.sentAt.map(TimeExpression.iso) ?? "-")
            secret held: \(j.hasPayload ? "yes (sealed)" : "no (erased)")

            """
        for a in attempts {
            out += "  #\(a.attempt) \(TimeExpression.iso(a.startedAt)) \(a.channel)/\(a.provider ?? "-") \(a.outcome.rawValue)"
            out += " \(a.latencyMillis) ms" + (a.httpStatus.map { " http \($0)" } ?? "") + (a.smtpStatus.map { " smtp \($0)" } ?? "")
            out += (a.errorClass.map { " [\($0)]" } ?? "") + (a.errorMessage.map { " \($0)" } ?? "") + "\n"
        }
        if !receipts.isEmpty { out += "receipts:\n" }
        for r in receipts {
            out += "  \(TimeExpression.iso(r.receivedAt)) #\(r.attempt) \(r.provider) \(r.providerStatus)"
            out += (r.errorCode.map { " error \($0)" } ?? "") + " -> \(r.effect)\n"
        }
        return out
    }
}
