import Foundation
import RelayCore
import Synchronization
import XCTest

private final class Lines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ l: String) { lines.withLock { $0.append(l) } }
    var all: [String] { lines.withLock { $0 } }
}

final class LoggerTests: XCTestCase {
    private func make(_ level: LogLevel = .debug) -> (Logger, Lines) {
        let lines = Lines()
        return (Logger(level: level, clock: ManualClock(1_800_000_000_123), sink: { lines.append($0) }), lines)
    }

    func testJSONLineShape() {
        let (log, lines) = make()
        log.info("listening", ["port": 8080, "host": "127.0.0.1", "ok": .bool(true), "ratio": .double(0.5)])
        XCTAssertEqual(
            lines.all,
            [#"{"ts":1800000000123,"level":"info","msg":"listening","port":8080,"host":"127.0.0.1","ok":true,"ratio":0.5}"# + "\n"])
        log.warning("quote \"and\" newline\n")
        XCTAssertEqual(lines.all.last, #"{"ts":1800000000123,"level":"warning","msg":"quote \"and\" newline\n"}"# + "\n")
        let parsed = try? JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: Any]
        XCTAssertEqual(parsed?["msg"] as? String, "listening")
    }

    func testMetadataIsAddedAndMergedInOrder() {
        let (log, lines) = make()
        let request = log.with(["request_id": "r-1", "server": "public"])
        let deeper = request.with(["server": "admin", "job_id": "j-9"])
        deeper.info("done", ["status": 200])
        XCTAssertEqual(
            lines.all.last,
            #"{"ts":1800000000123,"level":"info","msg":"done","request_id":"r-1","server":"admin","job_id":"j-9","status":200}"# + "\n")
        // A call field replaces a metadata field of the same name, written once.
        request.error("failed", ["request_id": "r-2"])
        XCTAssertEqual(
            lines.all.last, #"{"ts":1800000000123,"level":"error","msg":"failed","server":"public","request_id":"r-2"}"# + "\n")
        // The original is unchanged: metadata belongs to the copy.
        log.info("plain")
        XCTAssertEqual(lines.all.last, #"{"ts":1800000000123,"level":"info","msg":"plain"}"# + "\n")
        XCTAssertEqual(request.metadata.map(\.key), ["request_id", "server"])
    }

    func testDisabledLevelEvaluatesNothing() {
        let (log, lines) = make(.warning)
        let evaluated = Atomic<Int>(0)
        func message() -> String {
            evaluated.wrappingAdd(1, ordering: .relaxed)
            return "m"
        }
        func fields() -> KeyValuePairs<String, LogValue> {
            evaluated.wrappingAdd(1, ordering: .relaxed)
            return ["k": "v"]
        }
        log.debug(message(), fields())
        log.info(message(), fields())
        log.log(.debug, message(), fields())
        XCTAssertEqual(evaluated.load(ordering: .relaxed), 0)
        XCTAssertTrue(lines.all.isEmpty)
        log.warning(message(), fields())
        XCTAssertEqual(evaluated.load(ordering: .relaxed), 2)
        XCTAssertEqual(lines.all.count, 1)
    }

    func testLevelChangeIsSeenByEveryCopy() {
        let (log, lines) = make(.info)
        let copy = log
        let derived = log.with(["request_id": "r"])
        copy.debug("hidden")
        XCTAssertTrue(lines.all.isEmpty)
        derived.setLevel(.debug)
        XCTAssertEqual(log.level, .debug)
        XCTAssertTrue(copy.enabled(.debug))
        copy.debug("shown")
        log.debug("shown too")
        XCTAssertEqual(lines.all.count, 2)
        log.setLevel(.error)
        derived.warning("hidden again")
        XCTAssertEqual(lines.all.count, 2)
        XCTAssertEqual(derived.level, .error)
    }

    func testLevelNames() {
        XCTAssertEqual(LogLevel(name: "WARN"), .warning)
        XCTAssertNil(LogLevel(name: "trace"))
        XCTAssertEqual(LogLevel.allCases.map(\.name), ["debug", "info", "warning", "error"])
    }
}
