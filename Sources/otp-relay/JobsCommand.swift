import Foundation
import Outbox
import Relay
import RelayCore

enum JobsCommand: Command {
    static let help = """
        Usage:
          otp-relay jobs list [--status S] [--channel C] [--kind otp|kyc] [--provider P]
                              [--since T] [--until T] [--limit N] [--json]
          otp-relay jobs show ID [--json]
          otp-relay jobs replay ID... --reason TEXT [--dry-run]
          otp-relay jobs replay --status dead [--channel C] [--since T] [--until T] --reason TEXT [--dry-run]

        T is a duration back from now (90s, 15m, 1h, 2d), an ISO 8601 time or epoch milliseconds.
        Replay moves dead jobs back to the queue; expired OTPs are refused. Every replay is recorded
        with who (the user running the command) and why (--reason).
        """

    static func run(with input: inout CommandInput) throws -> Int32 {
        let json = try input.flag("--json")
        let status = try input.option("--status")
        let channel = try input.option("--channel")
        let kind = try input.option("--kind")
        let provider = try input.option("--provider")
        let since = try input.option("--since")
        let until = try input.option("--until")
        let limit = try input.option("--limit")
        let reason = try input.option("--reason")
        let dryRun = try input.flag("--dry-run")
        let pos = try input.positionals()
        guard let sub = pos.first else { throw UsageError("usage: otp-relay jobs list|show|replay (see --help)") }
        guard ["list", "show", "replay"].contains(sub) else {
            throw UsageError("unknown jobs command \(sub); see otp-relay jobs --help")
        }
        let config = try input.loadConfiguration()
        // Reads open the file read-only (no creation, no migration, never busy behind the
        // service); replay writes through the store's writer.
        let store: any JobOperationsStore
        let close: () -> Void
        if sub == "replay" {
            let s = try RelayMaintenance.openStore(config)
            (store, close) = (s, s.close)
        } else {
            let s = try RelayMaintenance.openReadOnlyStore(config)
            (store, close) = (s, s.close)
        }
        defer { close() }
        let now = SystemClock().nowMillis()
        var filter = JobFilter(limit: 100)
        if let status {
            guard let s = JobStatus(rawValue: status) else {
                throw UsageError("--status must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.status = s
        }
        if let channel { filter.channel = channel }
        if let kind {
            guard let k = JobKind(rawValue: kind) else { throw UsageError("--kind must be otp or kyc") }
            filter.kind = k
        }
        if let since {
            guard let t = TimeExpression.parse(since, now: now) else { throw UsageError("--since: not a time: \(since)") }
            filter.createdFrom = t
        }
        if let until {
            guard let t = TimeExpression.parse(until, now: now) else { throw UsageError("--until: not a time: \(until)") }
            filter.createdBefore = t
        }
        if let limit {
            guard let n = Int(limit), (1...1000).contains(n) else { throw UsageError("--limit must be 1 to 1000") }
            filter.limit = n
        }

        switch sub {
        case "list":
            guard pos.count == 1 else { throw UsageError("jobs list takes no arguments") }
            var jobs = try store.jobs(matching: filter)
            if let provider { jobs = jobs.filter { $0.provider == provider } }
            print(json ? JobJSON.list(jobs) : JobTable.render(jobs))
            return 0
        case "show":
            guard pos.count == 2 else { throw UsageError("usage: otp-relay jobs show ID") }
            guard let j = try store.job(id: pos[1]) else {
                FileHandle.standardError.write(Data("otp-relay: no job \(pos[1])\n".utf8)); return 1
            }
            let attempts = try store.attempts(jobID: j.id)
            let receipts = try (store as? any JobReceiptReader)?.receipts(jobID: j.id) ?? []
            print(json ? JobJSON.jobWithAttempts(j, attempts, receipts: receipts) : JobTable.detail(j, attempts, receipts))
            return 0
        case "replay":
            guard let reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw UsageError("jobs replay requires --reason")
            }
            let actor = input.actor
            let replayer = Replayer(store: store)
            let progress: (Int, Int) -> Void = { done, total in
                if total >= 1000 { FileHandle.standardError.write(Data("replay: \(done)/\(total)\n".utf8)) }
            }
            let summary: Replayer.Summary
            if pos.count > 1 {
                guard status == nil, channel == nil, since == nil, until == nil else {
                    throw UsageError("jobs replay takes ids or a filter, not both")
                }
                summary = try replayer.replay(ids: Array(pos.dropFirst()), actor: actor, reason: reason, dryRun: dryRun, progress: progress)
            } else {
                guard status == "dead" else { throw UsageError("bulk replay needs --status dead (only dead jobs are replayed)") }
                summary = try replayer.replay(matching: filter, actor: actor, reason: reason, dryRun: dryRun, progress: progress)
            }
            if json {
                print(summary.json)
            } else {
                print("\(dryRun ? "would replay" : "replayed") \(summary.replayed.count) of \(summary.matched) job(s)")
                for id in summary.expired { print("  refused (OTP expired): \(id)") }
                for id in summary.notDead { print("  refused (not dead): \(id)") }
                for id in summary.notFound { print("  not found: \(id)") }
            }
            return summary.replayed.count == summary.matched || dryRun ? 0 : 1
        default:
            throw UsageError("unknown jobs command \(sub); see otp-relay jobs --help")
        }
    }
}

enum StatsCommand: Command {
    static let help = """
        Usage: otp-relay stats [--config PATH]

        Job counts per status, overall and per channel, as JSON.
        """

    static func run(with input: inout CommandInput) throws -> Int32 {
        let config = try input.configurationOnly()
        let store = try RelayMaintenance.openReadOnlyStore(config)
        defer { store.close() }
        print(try StatsJSON.render(store: store, now: SystemClock().nowMillis()))
        return 0
    }
}
