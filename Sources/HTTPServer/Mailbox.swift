import RelayCore
import Synchronization

/// The one way into an event loop from other threads: handler responses, connections handed
/// over by the accepting loop, and the stop order. Posting wakes the loop through an eventfd,
/// but only when it is asleep in (or about to enter) `epoll_wait`; a busy loop picks items up
/// on its next turn without a system call.
final class Mailbox: Sendable {
    enum Item: Sendable {
        /// A handler's response to request `seq` on connection `id` (whose socket is `fd`).
        case response(fd: Int32, id: UInt32, seq: Int, HTTPResponse)
        /// Completions another thread hands back to run on this loop (`CompletionExecutor`).
        case complete([any DeferredCompletion])
        /// An accepted socket for this loop to own.
        case adopt(fd: Int32, peer: String)
        /// Stop accepting and finish in-flight requests by the deadline.
        case stop(by: Deadline)
    }

    private struct State {
        var items: [Item] = []
        var sleeping = false
        var open = true
    }

    private let state = Mutex(State())
    /// Owned for the mailbox's whole life, so a late post never writes to a reused descriptor.
    let eventFD: Int32

    init() throws(SystemError) {
        eventFD = try Sys.eventfdCreate()
    }

    deinit {
        Sys.close(eventFD)
    }

    /// Queues `item`; false when the loop has finished (the caller then owns what it posted).
    @discardableResult
    func post(_ item: Item) -> Bool {
        let (accepted, wake) = state.withLock { s -> (Bool, Bool) in
            guard s.open else { return (false, false) }
            s.items.append(item)
            if s.sleeping {
                s.sleeping = false
                return (true, true)
            }
            return (true, false)
        }
        if wake { Sys.eventfdSignal(eventFD) }
        return accepted
    }

    /// Called by the loop before `epoll_wait`: true when items wait (so it must not block);
    /// otherwise marks the loop asleep so the next post signals the eventfd.
    func prepareToSleep() -> Bool {
        state.withLock { s in
            if s.items.isEmpty {
                s.sleeping = true
                return false
            }
            return true
        }
    }

    /// Moves every waiting item into `batch` (which must be empty; its capacity is reused).
    func take(into batch: inout [Item]) {
        state.withLock { s in
            s.sleeping = false
            swap(&s.items, &batch)
        }
    }

    /// Refuses further posts and returns what was still queued.
    func close() -> [Item] {
        state.withLock { s in
            s.open = false
            let rest = s.items
            s.items = []
            return rest
        }
    }
}
