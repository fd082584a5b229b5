import Foundation
// A correct program that ThreadSanitizer on Linux reports as racy (Swift 6.3 toolchain): eight
// threads increment a counter only inside Synchronization.Mutex.withLock, and the total is exact
// (2,560,000). As far as we can tell, Mutex's fast path (an inlined atomic compare-exchange, and
// the spinning) is seen by TSan while its blocking path (FUTEX_LOCK_PI / FUTEX_UNLOCK_PI in
// libswiftSynchronization, not instrumented) is not: when a waiter blocks in the kernel, TSan misses
// the happens-before edge and reports the two closures as a race. scripts/sanitize builds and runs
// this to show whether the toolchain still does so; tsan_triage.py sets aside exactly this shape of
// report (both accesses inside withLock closures).
import Synchronization

struct S { var a = 0; var flag = false }
final class Pool: Sendable {
    let state = Mutex(S())
    func bump() {
        state.withLock {
            for _ in 0..<64 { $0.a &+= 1 }; $0.flag.toggle(); if $0.a % 8192 == 0 { usleep(500) }
        }
    }  // waiters give up spinning
}
let p = Pool()
var threads: [Thread] = []
let done = DispatchSemaphore(value: 0)
for _ in 0..<8 {
    let t = Thread {
        for _ in 0..<5000 { p.bump() }; done.signal()
    }
    t.start()
}
for _ in 0..<8 { done.wait() }
print(p.state.withLock { $0.a })
