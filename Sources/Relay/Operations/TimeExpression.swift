import Foundation

/// Times as operators type them: a duration back from now (`90s`, `15m`, `1h`, `2d`),
/// an ISO 8601 instant (`2026-11-26T10:00:00Z`), or epoch milliseconds.
public enum TimeExpression {
    public static func parse(_ text: String, now: Int64) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return nil }
        if let unit = t.last, "smhd".contains(unit), let n = Int64(t.dropLast()), n >= 0, n < 100_000 {
            let mult: Int64 = ["s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000][String(unit)]!
            return now - n * mult
        }
        if let ms = Int64(t), ms > 0 { return ms }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: t) { return Int64(d.timeIntervalSince1970 * 1000) }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: t) { return Int64(d.timeIntervalSince1970 * 1000) }
        return nil
    }

    /// ISO 8601 UTC text for epoch milliseconds.
    public static func iso(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
