import Foundation
import Outbox
import RelayCore
import RelayCrypto
import RelayTestSupport
import Synchronization
import XCTest

@testable import Delivery

let engineStart: Int64 = 1_800_000_000_000
let engineKey = try! DataKey(bytes: [UInt8](repeating: 9, count: 32))

/// A scripted in-process provider: answers from a queue of outcomes (then `fallback`), records
/// what it was asked to send, and can hold a send until the test opens its gate.
final class ScriptedProvider: Provider {
    let name: String
    let kind = "fake"
    let channels: Set<Channel>
    let script: ProviderScript

    init(name: String, channels: Set<Channel>, script: ProviderScript) {
        self.name = name
        self.channels = channels
        self.script = script
    }

    func send(_ m: OutgoingMessage) -> DeliveryOutcome {
        script.send(provider: name, m)
    }
}

/// What the fakes answer and what they saw; shared by every worker's instances.
final class ProviderScript: Sendable {
    struct Sent: Sendable, Equatable {
        let provider: String
        let jobID: String
        let channel: Channel
        let text: String
    }

    private struct Inner {
        var queued: [String: [DeliveryOutcome]] = [:]
        var fallback: [String: DeliveryOutcome] = [:]
        var sent: [Sent] = []
        var holdNext: Set<String> = []
    }

    private let inner = Mutex(Inner())
    /// Signalled when a held send has started.
    let entered = DispatchSemaphore(value: 0)
    /// Signal to let a held send continue.
    let gate = DispatchSemaphore(value: 0)

    func queue(_ provider: String, _ outcomes: DeliveryOutcome...) {
        inner.withLock { $0.queued[provider, default: []] += outcomes }
    }

    func always(_ provider: String, _ outcome: DeliveryOutcome) {
        inner.withLock { $0.fallback[provider] = outcome }
    }

    /// The next send through `provider` waits for `gate`.
    func holdNext(_ provider: String) {
        inner.withLock { _ = $0.holdNext.insert(provider) }
    }

    var sent: [Sent] { inner.withLock { $0.sent } }

    func send(provider: String, _ m: OutgoingMessage) -> DeliveryOutcome {
        let (outcome, hold) = inner.withLock { s -> (DeliveryOutcome, Bool) in
            s.sent.append(Sent(provider: provider, jobID: m.jobID, channel: m.channel, text: m.text))
            let hold = s.holdNext.remove(provider) != nil
            if var q = s.queued[provider], !q.isEmpty {
                let o = q.removeFirst()
                s.queued[provider] = q
                return (o, hold)
            }
            return (s.fallback[provider] ?? .sent(providerMessageID: "\(provider)-\(m.jobID)", status: 200), hold)
        }
        if hold {
            entered.signal()
            gate.wait()
        }
        return outcome
    }

    func spec(_ name: String, channels: Set<Channel> = Set(Channel.allCases), maxConcurrency: Int? = nil) -> ProviderSpec {
        ProviderSpec(name: name, kind: "fake", channels: channels, maxConcurrency: maxConcurrency) { [self] in
            ScriptedProvider(name: name, channels: channels, script: self)
        }
    }
}

/// Collects pool events and waits for one that matches.
final class DeliveryEventLog: Sendable {
    private let events = Mutex<[DeliveryEvent]>([])
    private let arrived = DispatchSemaphore(value: 0)

    var observer: @Sendable (DeliveryEvent) -> Void {
        { [self] e in
            events.withLock { $0.append(e) }
            arrived.signal()
        }
    }

    var all: [DeliveryEvent] { events.withLock { $0 } }

    /// Waits until `count` events match (failing the test after `timeout` seconds: a bound for a
    /// broken build, not a latency assertion).
    @discardableResult
    func wait(
        for count: Int = 1, timeout: Double = 20, file: StaticString = #filePath, line: UInt = #line,
        _ match: (DeliveryEvent) -> Bool
    ) -> [DeliveryEvent] {
        let deadline = DispatchTime.now() + timeout
        var hits: [DeliveryEvent] = []
        var scanned = 0
        while true {
            let fresh = events.withLock { Array($0[scanned...]) }
            scanned += fresh.count
            hits += fresh.filter(match)
            if hits.count >= count { return hits }
            if arrived.wait(timeout: deadline) == .timedOut {
                XCTFail("timed out waiting for an event; saw \(all.suffix(50))", file: file, line: line)
                return hits
            }
        }
    }

    func finished(_ id: String, count: Int = 1, file: StaticString = #filePath, line: UInt = #line) -> [JobTransition] {
        wait(for: count, file: file, line: line) {
            if case .finished(let j, _, _, _) = $0 { return j == id }
            return false
        }.compactMap {
            if case .finished(_, let t, _, _) = $0 { return t }
            return nil
        }
    }
}

/// A real SQLite outbox in a temporary directory, a manual clock, fakes and a pool.
final class EngineHarness {
    let dir: TempDirectory
    let clock = ManualClock(engineStart)
    /// In-process time: moves with `advance` (time passing), not with `stepWall` (a clock step).
    let monotonic = ManualMonotonicClock()
    let outbox: SQLiteOutbox
    let script = ProviderScript()
    let events = DeliveryEventLog()
    private(set) var pool: WorkerPool?

    init() throws {
        dir = TempDirectory("otp-relay-delivery")
        outbox = try SQLiteOutbox(path: dir.file("outbox.sqlite"), dataKey: engineKey, clock: clock, logger: .silent)
    }

    /// A configuration over fake providers, with deterministic (maximal) jitter by default.
    func configuration(
        providers: [ProviderSpec], routes: Routes,
        retry: RetryPolicy = RetryPolicy(
            baseDelay: .milliseconds(1_000), maxDelay: .milliseconds(60_000), maxAttempts: 5, random: .maximum),
        breaker: CircuitBreakerPolicy = CircuitBreakerPolicy(), workers: Int = 2,
        lease: Duration = .seconds(30)
    ) -> DeliveryConfiguration {
        DeliveryConfiguration(
            providers: providers, routes: routes, retry: retry, breaker: breaker, workers: workers,
            lease: lease, expireSweepInterval: .seconds(3_600), maxIdle: .seconds(3_600))
    }

    /// The same over `ladders`, with one scripted provider (`script.spec(name)`) for every name the
    /// ladders use, in channel order, then ladder order.
    func configuration(
        ladders: [Channel: [String]], fallbacks: [Channel: Channel] = [:],
        retry: RetryPolicy = RetryPolicy(
            baseDelay: .milliseconds(1_000), maxDelay: .milliseconds(60_000), maxAttempts: 5, random: .maximum),
        breaker: CircuitBreakerPolicy = CircuitBreakerPolicy(), workers: Int = 2,
        lease: Duration = .seconds(30)
    ) -> DeliveryConfiguration {
        var names: [String] = []
        for channel in Channel.allCases {
            for name in ladders[channel] ?? [] where !names.contains(name) { names.append(name) }
        }
        return configuration(
            providers: names.map { script.spec($0) }, routes: engineRoutes(ladders, fallbacks: fallbacks), retry: retry,
            breaker: breaker, workers: workers, lease: lease)
    }

    /// Starts a pool; `realTime`: on the system's monotonic clock (rates measured in real seconds)
    /// instead of the manual one.
    @discardableResult
    func start(
        _ configuration: DeliveryConfiguration, handlers: [JobKind: JobHandlerFactory] = [:],
        logger: Logger = .silent, realTime: Bool = false
    ) -> WorkerPool {
        let p = WorkerPool(
            store: outbox, configuration: configuration, clock: clock,
            monotonic: realTime ? SystemMonotonicClock() : monotonic, logger: logger,
            handlers: handlers, observer: events.observer)
        pool = p
        p.start()
        return p
    }

    /// Enqueues an OTP job and waits for its commit.
    func enqueue(
        channel: Channel = .whatsapp, to recipient: String = "+6284512340987", otp: String = "482915",
        validityMillis: Int64 = 300_000
    ) throws -> String {
        try enqueueOTP(into: outbox, channel: channel, to: recipient, otp: otp, clock: clock, validityMillis: validityMillis)
    }

    /// Moves the clocks (time passes) and wakes the dispatcher (as its timer would).
    func advance(_ millis: Int64) {
        clock.advance(millis: millis)
        monotonic.advance(millis: millis)
        pool?.wake()
    }

    /// Steps the wall clock only (NTP, `date -s`), and wakes the dispatcher.
    func stepWall(_ millis: Int64) {
        clock.advance(millis: millis)
        pool?.wake()
    }

    deinit {
        pool?.shutdown(by: .now + .seconds(5))
        outbox.close()
    }
}

func engineRoutes(_ ladders: [Channel: [String]], fallbacks: [Channel: Channel] = [:]) -> Routes {
    try! Routes(ladders: ladders, fallbacks: fallbacks)
}

/// Enqueues an OTP job into `store` and waits for its commit; the new job's id.
func enqueueOTP(
    into store: any JobIngestStore, channel: Channel = .whatsapp, to recipient: String = "+6284512340987",
    otp: String = "482915", clock: any WallClock = SystemClock(), validityMillis: Int64 = 300_000
) throws -> String {
    let job = NewJob.otp(
        channel: channel, recipient: recipient, recipientHash: Array(recipient.utf8), otp: otp,
        dedupeKey: nil, dedupeWindow: .zero, createdAt: clock.nowMillis(),
        expiresAt: clock.nowMillis() + validityMillis)
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<Result<EnqueueResult, OutboxError>?>(nil)
    store.enqueue(job) { r in
        result.withLock { $0 = r }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get().id
}
