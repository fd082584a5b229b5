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

    /// The test environment (`CrashRecoveryTests.environment`) pointed at a new store in `dir`.
    func storeEnvironment(_ dir: TempDirectory) throws -> ([String: String], TestStore) {
        let store = try makeStore(dir)
        return (CrashRecoveryTests.environment(dir).merging(store.environment) { $1 }, store)
    }
}
