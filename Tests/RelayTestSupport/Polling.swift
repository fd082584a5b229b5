import Foundation

/// Polls `condition` every `interval` until it holds or `timeout` seconds pass; whether it held
/// (checked once more at the deadline).
public func waitFor(
    _ timeout: Double, every interval: Duration = .milliseconds(50), _ condition: () throws -> Bool
) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
    }
    return try condition()
}

extension Process {
    /// Stops the process by its pid: `signal`, then SIGKILL once `grace` seconds passed; waits for it.
    public func stop(with signal: Int32, grace: Double) {
        guard isRunning else { return }
        let pid = processIdentifier
        kill(pid, signal)
        let deadline = Date().addingTimeInterval(grace)
        while isRunning && Date() < deadline { usleep(10_000) }
        if isRunning { kill(pid, SIGKILL) }
        waitUntilExit()
    }

    /// Polls `ready` every `interval` seconds until it holds; throws `exited` (with `log()`) when
    /// the process ends first and `timeout` when `timeoutSeconds` pass.
    public func waitUntil(
        timeoutSeconds: Double, every interval: Double, log: () -> String, _ ready: () -> Bool
    ) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if !isRunning { throw ServiceProcessError.exited(terminationStatus, log()) }
            if ready() { return }
            usleep(useconds_t(interval * 1_000_000))
        }
        throw ServiceProcessError.timeout(log())
    }
}
