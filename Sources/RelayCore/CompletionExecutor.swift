/// A callback that another thread runs for its owner: the outbox writer commits a batch and hands
/// each request's completion back to the event loop that asked, so building the response and
/// freeing the request's objects cost the single writer thread nothing.
public protocol DeferredCompletion: AnyObject, Sendable {
    /// Runs the callback, on the executor's thread.
    func complete()
}

/// A thread that runs completions handed to it in batches, in the order given (an event loop).
public protocol CompletionExecutor: AnyObject, Sendable {
    /// Queues `batch` and returns at once. Callers drop their own references right after, so the
    /// completions (and what they hold) are normally released on the executor's thread too.
    func execute(_ batch: [any DeferredCompletion])
}
