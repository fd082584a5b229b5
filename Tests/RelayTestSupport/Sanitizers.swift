import Foundation

/// What the test process runs under, as `scripts/sanitize` sets it up.
public enum Sanitizers {
    /// AddressSanitizer (`scripts/sanitize address` exports `ASAN_OPTIONS`; the service binaries the
    /// tests start inherit it). Its allocator keeps freed blocks in a quarantine (256 MiB by
    /// default) and maps shadow memory, so a process's RSS measures the sanitizer rather than the
    /// code: tests that bound RSS report it and skip that one assertion.
    public static var address: Bool { ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil }
}
