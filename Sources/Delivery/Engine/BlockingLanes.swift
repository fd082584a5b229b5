import Dispatch
import Foundation
import Outbox
import Synchronization

/// What one blocking lane owns: its own provider instances and job handlers (they are not
/// Sendable: libcurl handles, file descriptors). Confined to the lane's thread.
final class LaneLocal {
    let providers: WorkerProviders
    private var handlers: [JobKind: any JobHandler] = [:]
    private let factories: [JobKind: JobHandlerFactory]

    init(specs: [String: ProviderSpec], handlers: [JobKind: JobHandlerFactory]) {
        providers = WorkerProviders(specs: specs)
        factories = handlers
    }

    func handler(for kind: JobKind) -> (any JobHandler)? {
        if let h = handlers[kind] { return h }
        guard let make = factories[kind] else { return nil }
        let h = make()
        handlers[kind] = h
        return h
    }
}

/// Threads for sends that block (the sandbox's write and fsync, job handlers, providers without
/// `prepare`): started when work waits and none is idle, up to `limit`; they stay until `stop`.
/// HTTP and SMTP sends never come here (they run on the multi drivers).
final class BlockingLanes: Sendable {
    struct Work: Sendable {
        let run: @Sendable (LaneLocal) -> Void
        /// Called instead of `run` for work still queued when the lanes stop past their deadline.
        let abandon: @Sendable () -> Void
    }

    private struct State {
        var queue: [Work] = []
        var head = 0
        var threads = 0
        var idle = 0
        var stopping = false
    }

    private let limit: Int
    private let specs: [String: ProviderSpec]
    private let handlers: [JobKind: JobHandlerFactory]
    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)
    private let group = DispatchGroup()

    init(limit: Int, specs: [String: ProviderSpec], handlers: [JobKind: JobHandlerFactory]) {
        self.limit = max(1, limit)
        self.specs = specs
        self.handlers = handlers
    }

    /// Lanes running now (tests, metrics).
    var threads: Int { state.withLock { $0.threads } }

    func submit(_ work: Work) {
        enum Step { case rejected, wake, spawn, queued }
        let step = state.withLock { s -> Step in
            if s.stopping { return .rejected }
            s.queue.append(work)
            if s.idle > 0 {
                s.idle -= 1
                return .wake
            }
            guard s.threads < limit else { return .queued }  // a busy lane takes it next
            s.threads += 1
            return .spawn
        }
        switch step {
        case .rejected: work.abandon()
        case .wake: ready.signal()
        case .queued: break
        case .spawn:
            let n = state.withLock { $0.threads }
            group.startThread(named: "delivery-lane-\(n - 1)") { [self] in lane() }
        }
    }

    private func lane() {
        let local = LaneLocal(specs: specs, handlers: handlers)
        while true {
            let next = state.withLock { s -> Work?? in
                if s.head < s.queue.count {
                    let w = s.queue[s.head]
                    s.head += 1
                    if s.head == s.queue.count {
                        s.queue.removeAll(keepingCapacity: true)
                        s.head = 0
                    }
                    return .some(w)
                }
                if s.stopping { return .some(nil) }
                s.idle += 1
                return nil
            }
            switch next {
            case .some(.some(let w)): w.run(local)
            case .some(.none): return
            case .none: ready.wait()
            }
        }
    }

    /// No new work; queued work still runs until `deadline`, after which what is left is
    /// abandoned. Returns true when every lane exited in time.
    func stop(until deadline: DispatchTime) -> Bool {
        let idle = state.withLock { s -> Int in
            s.stopping = true
            return s.threads
        }
        for _ in 0..<idle { ready.signal() }
        if group.wait(timeout: deadline) == .success { return true }
        let left = state.withLock { s -> [Work] in
            let w = Array(s.queue[s.head...])
            s.queue = []
            s.head = 0
            return w
        }
        for w in left { w.abandon() }
        return false
    }
}
