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

/// One JSON object per line on stderr (or another sink), in the shape of swift-log's `Logger`:
/// a value that carries metadata (`with(_:)` returns a copy with more), messages and fields taken
/// as autoclosures so a disabled level builds nothing, and a level read atomically.
///
/// Copies share their level: `setLevel` on any copy is seen by all of them (and by every logger
/// derived with `with`). A line is `{"ts":…,"level":…,"msg":…,` then the metadata in the order it
/// was added, then the call's fields; a call field replaces a metadata field of the same name.
public struct Logger: Sendable {
    public typealias Sink = @Sendable (String) -> Void
    public typealias Field = (key: String, value: LogValue)

    /// The level, shared by every copy (Synchronization's `Atomic` is not copyable, so it lives in
    /// a class).
    @usableFromInline
    final class SharedLevel: Sendable {
        @usableFromInline let raw: Atomic<Int>
        init(_ level: LogLevel) { raw = Atomic(level.rawValue) }
    }

    @usableFromInline let shared: SharedLevel
    private let sink: Sink
    private let clock: any WallClock
    /// Fields every line of this logger carries (`with(_:)`).
    public private(set) var metadata: [Field] = []

    public init(level: LogLevel = .info, clock: any WallClock = SystemClock(), sink: Sink? = nil) {
        self.shared = SharedLevel(level)
        self.clock = clock
        self.sink = sink ?? Logger.stderrSink
    }

    public var level: LogLevel { LogLevel(rawValue: shared.raw.load(ordering: .relaxed)) ?? .info }
    public func setLevel(_ l: LogLevel) { shared.raw.store(l.rawValue, ordering: .relaxed) }

    @inlinable
    public func enabled(_ l: LogLevel) -> Bool { l.rawValue >= shared.raw.load(ordering: .relaxed) }

    /// A copy that adds `fields` to every line (a field already present takes the new value).
    public func with(_ fields: KeyValuePairs<String, LogValue>) -> Logger {
        var copy = self
        copy.metadata.reserveCapacity(metadata.count + fields.count)
        for (k, v) in fields {
            if let i = copy.metadata.firstIndex(where: { $0.key == k }) {
                copy.metadata[i].value = v
            } else {
                copy.metadata.append((k, v))
            }
        }
        return copy
    }

    /// Writes one line when `l` is enabled; otherwise neither `event` nor `fields` is evaluated.
    @inlinable
    public func log(
        _ l: LogLevel, _ event: @autoclosure () -> String,
        _ fields: @autoclosure () -> KeyValuePairs<String, LogValue> = [:]
    ) {
        guard enabled(l) else { return }
        emit(l, event(), fields())
    }

    @inlinable
    public func debug(_ e: @autoclosure () -> String, _ f: @autoclosure () -> KeyValuePairs<String, LogValue> = [:]) {
        log(.debug, e(), f())
    }
    @inlinable
    public func info(_ e: @autoclosure () -> String, _ f: @autoclosure () -> KeyValuePairs<String, LogValue> = [:]) {
        log(.info, e(), f())
    }
    @inlinable
    public func warning(_ e: @autoclosure () -> String, _ f: @autoclosure () -> KeyValuePairs<String, LogValue> = [:]) {
        log(.warning, e(), f())
    }
    @inlinable
    public func error(_ e: @autoclosure () -> String, _ f: @autoclosure () -> KeyValuePairs<String, LogValue> = [:]) {
        log(.error, e(), f())
    }

    @usableFromInline
    func emit(_ l: LogLevel, _ event: String, _ fields: KeyValuePairs<String, LogValue>) {
        var line = "{\"ts\":\(clock.nowMillis()),\"level\":\"\(l.name)\",\"msg\":\(JSONText.quote(event))"
        for (k, v) in metadata where !fields.contains(where: { $0.key == k }) {
            line += ",\(JSONText.quote(k)):\(v.json)"
        }
        for (k, v) in fields { line += ",\(JSONText.quote(k)):\(v.json)" }
        line += "}\n"
        sink(line)
    }

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
