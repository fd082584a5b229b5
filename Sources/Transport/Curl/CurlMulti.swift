import CCurl
import Foundation
import RelayCore
import Synchronization

/// Settings of one multi driver.
public struct CurlMultiConfiguration: Sendable {
    /// Idle connections the driver keeps open for reuse (CURLMOPT_MAXCONNECTS): enough for every
    /// provider's concurrency, so a busy provider's connections are reused, not reopened.
    public var maxConnects: Int = 4096
    /// Receive buffer per transfer (CURLOPT_BUFFERSIZE; libcurl's default is 16 KiB, its least
    /// 1 KiB). Provider answers are small (Meta's a few hundred bytes, Twilio's a few KiB: a larger
    /// one is read in several passes); thousands of transfers in flight make it count.
    public var receiveBuffer: Int = 4096
    /// Finished easy handles kept for the next transfers (reset, not freed).
    public var idleHandles: Int = 256

    public init() {}
}

/// A libcurl multi handle driven by one thread (`curl_multi_poll`, woken by `curl_multi_wakeup`):
/// thousands of transfers in flight without a thread each. Every transfer is built, added, read
/// and completed on the driver's thread, so easy handles never change threads; other threads
/// reach it through `post` and `perform`, which queue work in its inbox and wake it. Completions
/// run on the driver's thread and must be quick (they may start the next transfer at once).
///
/// Connections (and HTTP/2 streams: CURLPIPE_MULTIPLEX, CURLOPT_PIPEWAIT) are reused across the
/// driver's transfers: libcurl keeps the connection cache in the multi handle.
public final class CurlMulti: @unchecked Sendable {
    private struct Inbox {
        var work: [@Sendable () -> Void] = []
        var stopBy: ContinuousClock.Instant?
        /// Monotonic nanoseconds of the next tick, 0 when none is wanted.
        var tickAt: UInt64 = 0
        var exited = false
    }

    public let name: String
    public let configuration: CurlMultiConfiguration
    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    private let loopThread = Atomic<UInt>(0)
    private let transfers = Atomic<Int>(0)
    private let exited = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)
    /// Called on the driver's thread when a requested tick is due; returns the delay in
    /// milliseconds to the next one, or nil. Set before `start()`.
    nonisolated(unsafe) public var onTick: (@Sendable () -> Int64?)?
    // Driver thread only.
    nonisolated(unsafe) private var running: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    nonisolated(unsafe) private var idle: [CurlEasy] = []

    public init(name: String, configuration: CurlMultiConfiguration = CurlMultiConfiguration()) {
        precondition(CurlEasy.globalInit == CURLE_OK, "curl_global_init failed")
        guard let m = curl_multi_init() else { fatalError("curl_multi_init: out of memory") }
        multi = m
        self.name = name
        self.configuration = configuration
        _ = ccurl_multi_setopt_long(m, CURLMOPT_PIPELINING, ccurl_pipe_multiplex())
        _ = ccurl_multi_setopt_long(m, CURLMOPT_MAXCONNECTS, configuration.maxConnects)
    }

    deinit {
        for (_, t) in running { curl_multi_remove_handle(multi, t.easy.handle) }
        running = [:]
        idle = []
        curl_multi_cleanup(multi)
    }

    /// Transfers on the multi handle now.
    public var inFlight: Int { transfers.load(ordering: .relaxed) }

    /// Whether the calling thread is this driver's.
    public var isDriverThread: Bool { loopThread.load(ordering: .relaxed) == UInt(pthread_self()) }

    /// Starts the driver thread. Once.
    public func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            loop()
            exited.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Runs `work` on the driver's thread at its next turn (at once when called there). After the
    /// driver stopped, runs it on the caller's thread (its transfers then end `.aborted`).
    public func post(_ work: @escaping @Sendable () -> Void) {
        if isDriverThread { return work() }
        let (wake, gone) = inbox.withLock { i -> (Bool, Bool) in
            if i.exited { return (false, true) }
            i.work.append(work)
            return (i.work.count == 1, false)
        }
        if gone { return work() }
        if wake { curl_multi_wakeup(multi) }
    }

    /// Asks for `onTick` in `millis` (or sooner, when an earlier tick is already due).
    public func requestTick(inMillis millis: Int64) {
        let at = monotonicNanos() + UInt64(max(0, millis)) * 1_000_000
        let wake = inbox.withLock { i -> Bool in
            guard i.tickAt == 0 || at < i.tickAt else { return false }
            i.tickAt = at
            return true
        }
        if wake && !isDriverThread { curl_multi_wakeup(multi) }
    }

    /// Sends one HTTP request; `completion` runs on the driver's thread (or on the caller's, for
    /// a request refused before it was sent: a bad URL or header).
    public func perform(
        http request: HTTPClientRequest, configuration http: HTTPClientConfiguration,
        completion: @escaping @Sendable (TransferEnd<HTTPClientResponse>) -> Void
    ) {
        let buffer = configuration.receiveBuffer
        post { [self] in
            add(completion) { easy throws(TransportError) in
                try CurlTransfer.http(easy: easy, request: request, configuration: http, receiveBuffer: buffer, completion: completion)
            }
        }
    }

    /// Submits one message by SMTP; `completion` as for `perform(http:)`.
    public func perform(
        smtp submission: SMTPSubmission, configuration smtp: SMTPClientConfiguration,
        completion: @escaping @Sendable (TransferEnd<Int>) -> Void
    ) {
        post { [self] in
            add(completion) { easy throws(TransportError) in
                try CurlTransfer.smtp(easy: easy, submission: submission, configuration: smtp, completion: completion)
            }
        }
    }

    /// Stops the driver: transfers in flight may finish until `deadline`; then the rest end
    /// `.aborted`, and the thread exits. Returns true when none had to be aborted.
    @discardableResult
    public func shutdown(by deadline: Deadline) -> Bool {
        inbox.withLock { $0.stopBy = $0.stopBy ?? deadline }
        guard started.load(ordering: .acquiring) else {
            inbox.withLock { $0.exited = true }
            return true
        }
        curl_multi_wakeup(multi)
        exited.wait()
        return aborted.load(ordering: .relaxed) == 0
    }

    private let aborted = Atomic<Int>(0)

    // MARK: the driver thread

    private func add<V>(
        _ completion: @escaping @Sendable (TransferEnd<V>) -> Void,
        _ build: (CurlEasy) throws(TransportError) -> CurlTransfer
    ) {
        // Work run on the caller's thread after the driver exited: nothing is sent.
        guard isDriverThread else { return completion(.aborted) }
        let easy = idle.popLast() ?? CurlEasy()
        let t: CurlTransfer
        do {
            t = try build(easy)
        } catch {
            recycle(easy)
            return completion(.completed(.failure(error)))
        }
        _ = t.machine.queue()
        _ = t.machine.start(now: monotonicNanos())
        guard curl_multi_add_handle(multi, easy.handle) == CURLM_OK else {
            _ = t.machine.abort()
            t.finish(code: CURLE_FAILED_INIT, elapsedMillis: 0)
            recycle(easy)
            return
        }
        running[easy.handle] = t
        transfers.add(1, ordering: .relaxed)
    }

    /// Keeps a finished handle for the next transfer, reset. Not one that still holds its receive
    /// buffer (libcurl 7.88 keeps it after an HTTP/2 stream): it refuses a new CURLOPT_BUFFERSIZE
    /// (every transfer built on it would fail), and one without that option (SMTP) would read a
    /// default-sized chunk into the smaller buffer. Such a handle is freed instead.
    private func recycle(_ easy: CurlEasy) {
        guard idle.count < configuration.idleHandles else { return }
        easy.reset()
        guard (try? easy.set(CURLOPT_BUFFERSIZE, configuration.receiveBuffer > 0 ? configuration.receiveBuffer : 16_384)) != nil
        else { return }
        idle.append(easy)
    }

    private func loop() {
        loopThread.store(UInt(pthread_self()), ordering: .relaxed)
        while true {
            let (work, stopBy, tickDue) = inbox.withLock { i -> ([@Sendable () -> Void], ContinuousClock.Instant?, Bool) in
                let w = i.work
                i.work = []
                let due = i.tickAt != 0 && i.tickAt <= monotonicNanos()
                if due { i.tickAt = 0 }
                return (w, i.stopBy, due)
            }
            for w in work { w() }
            var still: Int32 = 0
            _ = curl_multi_perform(multi, &still)
            completeFinished()
            if tickDue, let next = onTick?() { requestTick(inMillis: next) }
            if let stopBy {
                let quiet = running.isEmpty && inbox.withLock { $0.work.isEmpty }
                if quiet || ContinuousClock.now >= stopBy {
                    let done = inbox.withLock { i -> Bool in
                        guard i.work.isEmpty else { return false }
                        i.exited = true
                        return true
                    }
                    if done {
                        abortAll()
                        return
                    }
                    continue
                }
            }
            var timeout: Int64 = 1000
            let tickAt = inbox.withLock { $0.tickAt }
            if tickAt != 0 {
                let now = monotonicNanos()
                timeout = min(timeout, tickAt > now ? Int64((tickAt - now + 999_999) / 1_000_000) : 0)
            }
            if let stopBy { timeout = min(timeout, max(1, stopBy.remaining.wholeMilliseconds)) }
            _ = curl_multi_poll(multi, nil, 0, Int32(timeout), nil)
        }
    }

    /// Completes every transfer curl reports done.
    private func completeFinished() {
        var done: [(CurlTransfer, CURLcode)] = []
        var left: Int32 = 0
        while let msg = curl_multi_info_read(multi, &left) {
            guard ccurl_msg_done(msg) != 0, let handle = msg.pointee.easy_handle,
                let t = running.removeValue(forKey: handle)
            else { continue }
            done.append((t, ccurl_msg_result(msg)))
        }
        for (t, code) in done {
            curl_multi_remove_handle(multi, t.easy.handle)
            transfers.add(-1, ordering: .relaxed)
            let ms = t.machine.end(now: monotonicNanos()) ?? 0
            t.finish(code: code, elapsedMillis: ms)
            recycle(t.easy)
        }
    }

    /// Past the stop deadline: every transfer still running ends `.aborted`.
    private func abortAll() {
        let all = running.values
        running = [:]
        for t in all {
            curl_multi_remove_handle(multi, t.easy.handle)
            transfers.add(-1, ordering: .relaxed)
            aborted.add(1, ordering: .relaxed)
            if t.machine.abort() { t.finish(code: nil, elapsedMillis: 0) }
        }
    }
}
