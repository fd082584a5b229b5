import Foundation

/// A SQLite reader that holds one snapshot of a database (an operator's sqlite3 left inside a
/// transaction), in python3: checkpoints cannot copy WAL frames past it, so later commits stay
/// only in `-wal` until `release()`. Started in its own process, stopped by its pid.
public final class SnapshotHolder {
    public let process = Process()
    private let input = Pipe()
    /// The job count its snapshot saw.
    public let jobsSeen: Int

    public init(database: String, directory: String) throws {
        let script = directory + "/hold-snapshot.py"
        try """
        import sqlite3, sys
        c = sqlite3.connect(sys.argv[1], isolation_level=None)
        c.execute("BEGIN")
        print(c.execute("SELECT count(*) FROM jobs").fetchone()[0], flush=True)
        sys.stdin.read()
        c.execute("COMMIT")
        """.write(toFile: script, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, database]
        let out = Pipe()
        process.standardInput = input
        process.standardOutput = out
        try process.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)  // the snapshot is held
        jobsSeen = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Ends the transaction and waits for the process.
    public func release() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
