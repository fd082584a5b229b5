import Foundation
import RelayCore
import XCTest

@testable import Outbox

/// `StoreFactory.backup` on a real file beside an open store: the copy holds the commits still in
/// `-wal`, is one integrity-checked 0600 file, and never replaces a file without `force`; the
/// writer liveness probe behind the systemd watchdog.
final class BackupTests: XCTestCase {
    func testTheCopyHoldsWhatIsOnlyInTheWALAndIsOneFile() throws {
        let db = TempDatabase()
        let store = try makeOutbox(db)  // 25 jobs stay below the checkpoint threshold: all in -wal
        defer { store.close() }
        var ids: [String] = []
        for i in 0..<25 {
            guard case .success(let r) = store.enqueueAndWait(otpJob(phone: "+62845123\(String(format: "%05d", i))")) else {
                return XCTFail("enqueue")
            }
            ids.append(r.id)
        }
        XCTAssertGreaterThan((try FileManager.default.attributesOfItem(atPath: db.path + "-wal")[.size] as? NSNumber)?.intValue ?? 0, 0)
        let dest = db.directory + "/copy.sqlite"
        let report = try StoreFactory.backup(.sqlite(path: db.path), to: dest, force: false)
        XCTAssertEqual(report.jobs, 25)
        XCTAssertEqual(report.path, dest)
        let copy = try SQLiteReadOnlyStore(path: dest)
        XCTAssertEqual(Set(try copy.jobs(matching: JobFilter(limit: 100)).map(\.id)), Set(ids))
        copy.close()
        XCTAssertFalse(FileManager.default.fileExists(atPath: dest + "-wal"))
        let mode = (try FileManager.default.attributesOfItem(atPath: dest)[.posixPermissions] as? NSNumber)?.intValue
        XCTAssertEqual(mode, 0o600)

        XCTAssertThrowsError(try StoreFactory.backup(.sqlite(path: db.path), to: dest, force: false)) {
            XCTAssertTrue(String(describing: $0).contains("--force"), "\($0)")
        }
        XCTAssertThrowsError(try StoreFactory.backup(.sqlite(path: db.path), to: db.path, force: true), "not over itself")
        XCTAssertEqual(try StoreFactory.backup(.sqlite(path: db.path), to: dest, force: true).jobs, 25)
    }

    func testNoBackupOfWhatIsNotAnOutbox() throws {
        let db = TempDatabase()
        XCTAssertThrowsError(try StoreFactory.backup(.sqlite(path: db.path), to: db.directory + "/c", force: false))
        XCTAssertTrue(FileManager.default.createFile(atPath: db.path, contents: Data("not sqlite at all, just text".utf8)))
        XCTAssertThrowsError(try StoreFactory.backup(.sqlite(path: db.path), to: db.directory + "/c", force: false))
        XCTAssertFalse(FileManager.default.fileExists(atPath: db.directory + "/c"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: db.directory).filter { $0.contains(".tmp-") }, [])
    }

    func testTheWriterAnswersUntilClosed() throws {
        let db = TempDatabase()
        let store = try makeOutbox(db)
        XCTAssertTrue(store.writerResponds())
        store.close()
        XCTAssertFalse(store.writerResponds())
    }
}
