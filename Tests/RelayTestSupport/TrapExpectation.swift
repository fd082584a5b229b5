import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Runs one test of this test bundle in a child process and reports how it ended, for tests that
/// must prove a debug-build trap (a thread-owned type used from another thread) without killing
/// the test run. The child sees `OTP_RELAY_TRAP_CHILD=1`; the test it runs does the forbidden
/// thing only then, and is an ordinary no-op otherwise.
public enum TrapExpectation {
    public static let childVariable = "OTP_RELAY_TRAP_CHILD"

    /// True in the child process that `runChild` started.
    public static var isChild: Bool { ProcessInfo.processInfo.environment[childVariable] == "1" }

    /// How the child ended.
    public enum Ending: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// Runs `Module.Class/testName` of this bundle in a child with `OTP_RELAY_TRAP_CHILD=1`; returns
    /// how it ended and its standard error (which carries the trap message).
    public static func runChild(test: String, timeout: TimeInterval = 60) throws -> (ending: Ending, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        p.arguments = [test]
        var env = ProcessInfo.processInfo.environment
        env[childVariable] = "1"
        env["SWIFT_BACKTRACE"] = "enable=no"
        p.environment = env
        let errPipe = Pipe()
        p.standardError = errPipe
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = errPipe.fileHandleForReading.readDataToEndOfFile()
        let limit = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < limit { usleep(10_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        switch p.terminationReason {
        case .uncaughtSignal: return (.signalled(p.terminationStatus), text)
        default: return (.exited(p.terminationStatus), text)
        }
    }

    /// Runs `body` on a new thread and waits for it: the forbidden use a child test makes.
    public static func useFromAnotherThread(_ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        Thread {
            body()
            done.signal()
        }.start()
        done.wait()
    }

    /// Runs `Module.Class/testName` in a child and asserts that it trapped (SIGILL or SIGTRAP) with
    /// `message` on its standard error. Skips in a release build, where ownership checks compile to
    /// nothing.
    public static func assertChildTraps(
        test: String, message: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        #if DEBUG
        let (ending, stderr) = try runChild(test: test)
        XCTAssertTrue(
            [.signalled(SIGILL), .signalled(SIGTRAP)].contains(ending), "\(ending) stderr: \(stderr.suffix(2000))", file: file,
            line: line)
        XCTAssertTrue(stderr.contains(message), stderr, file: file, line: line)
        #else
        throw XCTSkip("release build: ownership checks compile to nothing")
        #endif
    }
}
