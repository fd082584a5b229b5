import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The thread a thread-confined object belongs to, checked in debug builds.
///
/// Types that must only be used from one thread (an event loop and its connections, a SQLite
/// connection, the writer's context, a libcurl handle) hold one and call `check()` at their entry
/// points. In a debug build a call from any other thread traps with the type's name; in a release
/// build `check()` compiles to nothing. The owner is the first thread that calls `check()`, or the
/// one that calls `claim()`, so an object may be built on one thread and handed to the thread that
/// runs it.
public struct ThreadOwnership: ~Copyable, Sendable {
    #if DEBUG
    // 0 = not yet claimed; otherwise the owning thread's pthread_t (an integer on Linux).
    private let owner = Atomic<UInt>(0)
    #endif
    private let what: StaticString

    /// - Parameter what: the type's name, for the trap message.
    public init(_ what: StaticString) { self.what = what }

    /// Makes the calling thread the owner from now on (a hand-over to the thread that runs the object).
    @inline(__always)
    public func claim() {
        #if DEBUG
        owner.store(UInt(pthread_self()), ordering: .relaxed)
        #endif
    }

    /// Forgets the owner, so the next thread to call `check()` becomes it (an object handed back to
    /// a pool).
    @inline(__always)
    public func release() {
        #if DEBUG
        owner.store(0, ordering: .relaxed)
        #endif
    }

    /// Traps (debug builds) when called from a thread other than the owner.
    @inline(__always)
    public func check(file: StaticString = #fileID, line: UInt = #line) {
        #if DEBUG
        let me = UInt(pthread_self())
        let (exchanged, current) = owner.compareExchange(expected: 0, desired: me, ordering: .relaxed)
        if !exchanged && current != me {
            preconditionFailure("\(what) used from a thread that does not own it", file: file, line: line)
        }
        #endif
    }

    /// Whether the calling thread owns it or nobody does yet (always true in release builds).
    public func isOwnedByCurrentThread() -> Bool {
        #if DEBUG
        let current = owner.load(ordering: .relaxed)
        return current == 0 || current == UInt(pthread_self())
        #else
        return true
        #endif
    }
}
