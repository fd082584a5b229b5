import Foundation
import RelayTestSupport
import XCTest

/// A suite of the real binary that runs once per store: the class itself on the SQLite file, and a
/// one-line subclass overriding `store` on PostgreSQL, so both run the same test bodies (XCTest
/// runs inherited test methods in the subclass). Each test gets a store of its own (`makeStore`):
/// a fresh file, or a fresh database on the test process's one PostgreSQL server.
class StoreEndToEndCase: XCTestCase {
    /// The store this class's tests run on.
    class var store: StoreKind { .sqlite }

    /// A new store in `dir` of this class's kind (on PostgreSQL an `XCTSkip` when it is not
    /// installed, like PostgreSQLEndToEndTests).
    func makeStore(_ dir: TempDirectory) throws -> TestStore { try TestStore(Self.store, directory: dir) }

    /// The test environment (`CrashRecoveryTests.environment`) pointed at a new store in `dir`,
    /// and at the configuration file `config` (`OTP_RELAY_CONFIG`) when one is given.
    func storeEnvironment(_ dir: TempDirectory, config: String? = nil) throws -> ([String: String], TestStore) {
        let store = try makeStore(dir)
        var env = CrashRecoveryTests.environment(dir).merging(store.environment) { $1 }
        if let config { env["OTP_RELAY_CONFIG"] = config }
        return (env, store)
    }
}

/// Every test of a `StoreEndToEndCase` suite runs on both stores: its `…OnPostgreSQL` subclass
/// overrides each (a test added to the suite alone would silently run on SQLite only).
final class StoreVariantTests: XCTestCase {
    func testEveryStoreSuiteTestIsOverriddenOnPostgreSQL() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".swift") }
        func matches(_ pattern: String, _ text: String) -> [String] {
            let re = try! NSRegularExpression(pattern: pattern)
            return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
                String(text[Range($0.range(at: 1), in: text)!])
            }
        }
        /// The declaration of the class `header` opens, to its closing brace at the start of a line.
        func body(_ text: String, _ header: String) -> String {
            guard let start = text.range(of: "\n" + header) else { return "" }
            let end = text.range(of: "\n}", range: start.upperBound..<text.endIndex)?.lowerBound ?? text.endIndex
            return String(text[start.lowerBound..<end])
        }
        var suites = 0
        for file in files {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            for suite in matches(#"\nclass (\w+): StoreEndToEndCase \{"#, text) {
                suites += 1
                let variant = suite + "OnPostgreSQL"
                XCTAssertEqual(matches(#"\nfinal class (\w+): \#(suite) \{"#, text), [variant], "\(file): \(suite)'s PostgreSQL variant")
                let tests = Set(matches(#"\n    func (test\w+)\("#, body(text, "class \(suite): StoreEndToEndCase {")))
                let overridden = Set(matches(#"\n    override func (test\w+)\("#, body(text, "final class \(variant): \(suite) {")))
                XCTAssertFalse(tests.isEmpty, suite)
                XCTAssertEqual(tests.subtracting(overridden).sorted(), [], "\(file): tests of \(suite) not run on PostgreSQL")
            }
        }
        XCTAssertGreaterThanOrEqual(suites, 7)
    }
}
