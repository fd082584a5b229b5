import Foundation

/// A fresh directory under /tmp, removed when released.
public final class TempDirectory {
    public let path: String
    public init(_ prefix: String = "otp-relay-test") {
        let p = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        path = p
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    public func file(_ name: String) -> String { path + "/" + name }
}

/// A list appended from many threads.
public final class LockedList: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var items: [String] = []
    public init() {}
    public func append(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    public var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
