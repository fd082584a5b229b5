import Dispatch
import Foundation

extension DispatchGroup {
    /// Starts a thread named `name` that runs `body`, as a member of this group: a `wait` on the
    /// group returns once `body` has (the pool's dispatcher and renewer, the blocking lanes).
    func startThread(named name: String, _ body: @escaping @Sendable () -> Void) {
        enter()
        let thread = Thread { [self] in
            body()
            leave()
        }
        thread.name = name
        thread.start()
    }
}
