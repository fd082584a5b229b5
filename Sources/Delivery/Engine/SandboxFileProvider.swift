#if canImport(Glibc)
import Glibc
#endif
import RelayCore

/// The `sandbox` provider: appends each delivery as one JSON line to a local file, standing in for
/// the person's phone or inbox (development and the embedded default). The line holds what would
/// have been sent, OTP included: `job_id`, `channel`, `to`, `message`, `subject` (email),
/// `language`, `provider`, `at` (epoch ms). The file is created 0600.
///
/// Each instance (one per worker) has its own `O_APPEND` descriptor and writes a line with a
/// single `write`, so lines from concurrent workers never interleave.
public final class SandboxFileProvider: Provider {
    public let name: String
    public var kind: String { "sandbox" }
    public var channels: Set<Channel> { Set(Channel.allCases) }
    public let path: String
    private let clock: any Clock
    private var fd: Int32 = -1

    public init(name: String = "sandbox", path: String, clock: any Clock = SystemClock()) {
        self.name = name
        self.path = path
        self.clock = clock
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    public func send(_ m: OutgoingMessage) -> DeliveryOutcome {
        if fd < 0 {
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            if fd < 0 { return .retryable(reason: "sandbox open errno \(errno)", retryAfterMillis: nil, status: nil) }
        }
        var line = "{\"job_id\":\(JSONText.quote(m.jobID)),\"channel\":\(JSONText.quote(m.channel.rawValue))"
        line += ",\"to\":\(JSONText.quote(m.recipient)),\"message\":\(JSONText.quote(m.text))"
        if let subject = m.subject { line += ",\"subject\":\(JSONText.quote(subject))" }
        line += ",\"language\":\(JSONText.quote(m.language)),\"provider\":\(JSONText.quote(name))"
        line += ",\"at\":\(clock.nowMillis())}\n"
        let bytes = Array(line.utf8)
        let written = bytes.withUnsafeBytes { buf -> Int in
            while true {
                let n = write(fd, buf.baseAddress, buf.count)
                if n < 0 && errno == EINTR { continue }
                return n
            }
        }
        guard written == bytes.count else {
            let e = errno
            close(fd)
            fd = -1
            return .retryable(reason: "sandbox write errno \(written < 0 ? e : 0)", retryAfterMillis: nil, status: nil)
        }
        return .sent(providerMessageID: "sandbox-\(m.jobID)", status: nil)
    }
}
