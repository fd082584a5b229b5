import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT, caught from the moment this is made. `serve` makes it before the service
/// starts, so a signal that arrives while the store opens or the listeners bind stops the service
/// once it has started (cleanly, by the shutdown deadline) instead of killing the process with
/// the signal's default action.
public final class ShutdownSignals: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let sources: [DispatchSourceSignal]

    public init() {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let queue = DispatchQueue(label: "otp-relay.signals")
        let done = self.done
        sources = [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
            let s = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            s.setEventHandler { done.signal() }
            s.resume()
            return s
        }
    }

    /// Blocks until the first of the signals came (at once when one already did).
    public func wait() {
        done.wait()
        sources.forEach { $0.cancel() }
    }
}
