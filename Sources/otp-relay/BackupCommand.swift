import Foundation
import Outbox
import Relay
import RelayCore

enum BackupCommand: Command {
    static let help = """
        Usage: otp-relay backup PATH [--force] [--config PATH]

        Writes a consistent copy of the SQLite outbox to PATH while the service runs (its own
        read connection and SQLite's online backup API: one snapshot, jobs still only in -wal
        included), checks it with PRAGMA integrity_check, writes it 0600 under a temporary name and
        renames it into place. An existing PATH is replaced only with --force.

        The copy holds the payloads sealed with the data key, which is NOT in it: back up the data
        key file separately (and keep it apart from the copies). Restore: stop the service, copy the
        backup over the database (remove any -wal/-shm beside it), keep the same key file, start.
        See docs/operations.md.
        """

    static func run(with input: inout CommandInput) throws -> Int32 {
        let force = try input.flag("--force")
        let pos = try input.positionals()
        guard pos.count == 1, let destination = pos.first, !destination.isEmpty else {
            throw UsageError("usage: otp-relay backup PATH [--force] (see otp-relay backup --help)")
        }
        let config = try input.loadConfiguration()
        let report: BackupReport
        do {
            report = try RelayMaintenance.backup(config, to: destination, force: force)
        } catch let e as OutboxError where e.code == .invalidRequest || e.code == .startup {
            FileHandle.standardError.write(Data("otp-relay: backup: \(e.detail)\n".utf8))
            return 1
        }
        let keySource = config.dataKey == nil ? config.resolvedDataKeyFile : "OTP_RELAY_DATA_KEY"
        print(
            "backup: \(report.jobs) job(s), \(report.pages) pages, \(report.bytes) bytes, integrity ok -> \(report.path)\n"
                + "backup: the data key is not in the copy; back up \(keySource) separately"
        )
        return 0
    }
}
