import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Log levels, lowest first.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug, info, warning, error

    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warning
        case "error": self = .error
        default: return nil
        }
    }
    public var name: String { ["debug", "info", "warning", "error"][rawValue] }
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// A log field value. Only values that are safe to log belong here: never an OTP, a credential
/// or a full recipient (use `Recipient.mask`).
public enum LogValue: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    public init(stringLiteral v: String) { self = .string(v) }
    public init(integerLiteral v: Int) { self = .int(Int64(v)) }

    var json: String {
        switch self {
        case .string(let s): return JSONText.quote(s)
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? String(d) : "null"
        case .bool(let b): return b ? "true" : "false"
        }
    }
}

/// One JSON object per line on stderr (or another sink), with a level threshold.
public final class Logger: Sendable {
    public typealias Sink = @Sendable (String) -> Void
    private let minimum: Mutex<LogLevel>
    private let sink: Sink
    private let clock: any WallClock

    public init(level: LogLevel = .info, clock: any WallClock = SystemClock(), sink: Sink? = nil) {
        self.minimum = Mutex(level)
        self.clock = clock
        self.sink = sink ?? Logger.stderrSink
    }

    public var level: LogLevel {
        get { minimum.withLock { $0 } }
    }
    public func setLevel(_ l: LogLevel) { minimum.withLock { $0 = l } }

    public func enabled(_ l: LogLevel) -> Bool { l >= level }

    public func log(_ l: LogLevel, _ event: String, _ fields: KeyValuePairs<String, LogValue> = [:]) {
        guard enabled(l) else { return }
        var line = "{\"ts\":\(clock.nowMillis()),\"level\":\"\(l.name)\",\"msg\":\(JSONText.quote(event))"
        for (k, v) in fields { line += ",\(JSONText.quote(k)):\(v.json)" }
        line += "}\n"
        sink(line)
    }

    public func debug(_ e: String, _ f: KeyValuePairs<String, LogValue> = [:]) { log(.debug, e, f) }
    public func info(_ e: String, _ f: KeyValuePairs<String, LogValue> = [:]) { log(.info, e, f) }
    public func warning(_ e: String, _ f: KeyValuePairs<String, LogValue> = [:]) { log(.warning, e, f) }
    public func error(_ e: String, _ f: KeyValuePairs<String, LogValue> = [:]) { log(.error, e, f) }

    /// Writes whole lines to fd 2 with one write each, so concurrent lines never interleave.
    public static let stderrSink: Sink = { line in
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buf in
            var off = 0
            while off < buf.count {
                let n = write(2, buf.baseAddress! + off, buf.count - off)
                if n < 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }
    }

    /// Discards everything; for tests that do not read logs.
    public static let silent = Logger(level: .error, sink: { _ in })
}
