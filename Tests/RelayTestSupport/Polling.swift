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
