import RelayCore

#if canImport(Glibc)
import Glibc
#endif

/// Settings of the `sandbox` provider.
public struct SandboxConfig: Sendable {
    public static let defaultPath = "otp-relay-sandbox.jsonl"

    public var name: String
    public var path: String
    public var clock: any WallClock

    public init(name: String = "sandbox", path: String = SandboxConfig.defaultPath, clock: any WallClock = SystemClock()) {
        self.name = name
        self.path = path
        self.clock = clock
    }
}

/// Development destination: appends what would have been sent as one JSON object per line
/// (`job_id`, `channel`, `to`, `message`, `subject` for email, `provider`, `at` epoch ms).
///
/// The file stands in for the person's phone or inbox, so it holds the full recipient and text;
/// it is created 0600. Each line is a single `write` on an `O_APPEND` descriptor followed by
/// `fsync`, so several workers (each with its own provider) can share one file.
public final class SandboxProvider: Provider {
    public let config: SandboxConfig
    private var fd: Int32 = -1

    public var name: String { config.name }
    public var kind: String { "sandbox" }
    public var channels: Set<Channel> { Set(Channel.allCases) }

    public init(config: SandboxConfig = SandboxConfig()) {
        self.config = config
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// The line written for a message (with its trailing newline).
    public func line(for m: OutgoingMessage) -> String {
        var s = "{\"job_id\":\(JSONText.quote(m.jobID)),\"channel\":\(JSONText.quote(m.channel.rawValue))"
        s += ",\"to\":\(JSONText.quote(m.recipient)),\"message\":\(JSONText.quote(m.text))"
        if let subject = m.subject { s += ",\"subject\":\(JSONText.quote(subject))" }
        s += ",\"provider\":\(JSONText.quote(name)),\"at\":\(config.clock.nowMillis())}\n"
        return s
    }

    public func send(_ m: OutgoingMessage) -> DeliveryOutcome {
        if fd < 0 {
            fd = open(config.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            if fd < 0 { return .retryable(reason: "sandbox open failed: errno \(errno)", retryAfterMillis: nil, status: nil) }
        }
        let bytes = Array(line(for: m).utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                return .retryable(reason: "sandbox write failed: errno \(errno)", retryAfterMillis: nil, status: nil)
            }
            written += n
        }
        while fsync(fd) != 0 {
            if errno != EINTR { return .retryable(reason: "sandbox fsync failed: errno \(errno)", retryAfterMillis: nil, status: nil) }
        }
        return .sent(providerMessageID: m.jobID, status: nil)
    }
}
