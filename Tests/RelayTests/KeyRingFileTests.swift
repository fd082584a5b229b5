import Foundation
import RelayCore
import RelayCrypto
import RelayTestSupport
import XCTest

@testable import Relay

/// The data key file's two formats, and `rotate`.
final class KeyRingFileTests: XCTestCase {
    let a = DataKey.generate()

    func testOneKeyFileIsARingOfThatKey() throws {
        let ring = try KeyRingFile.parse(Data((a.base64 + "\n").utf8), path: "k")
        XCTAssertEqual(ring.current.keyID, a.keyID)
        XCTAssertTrue(ring.previous.isEmpty)
        XCTAssertEqual(ring.index.keyID, a.keyID)
    }

    func testRotateKeepsTheOldKeyAndTheIndexKey() throws {
        let dir = TempDirectory()
        let path = dir.file("data-key")
        try Data((a.base64 + "\n").utf8).write(to: URL(fileURLWithPath: path))
        let (old, first) = try KeyRingFile.rotate(path)
        XCTAssertEqual(old.current.keyID, a.keyID)
        XCTAssertNotEqual(first.current.keyID, a.keyID)
        let (_, second) = try KeyRingFile.rotate(path)
        let read = try XCTUnwrap(try KeyRingFile.load(path))
        XCTAssertEqual(read.current.keyID, second.current.keyID)
        XCTAssertEqual(read.previous.map(\.keyID), [first.current.keyID, a.keyID], "newest first")
        XCTAssertEqual(read.index.keyID, a.keyID, "the index key never changes")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains(".tmp-") })
    }

    func testBadRingsNameTheProblem() {
        func problem(_ text: String) -> String {
            do {
                _ = try KeyRingFile.parse(Data(text.utf8), path: "k")
                return "accepted"
            } catch { return String(describing: error) }
        }
        XCTAssertTrue(problem("not base64").contains("does not hold 32 bytes"))
        XCTAssertTrue(problem(#"{"previous": []}"#).contains("current"))
        XCTAssertTrue(problem(#"{"current": "\#(a.base64)", "previous": ["AAAA"]}"#).contains("\"previous\"[0]"))
        XCTAssertTrue(problem(#"{"current": "\#(a.base64)", "extra": 1}"#).contains("extra"))
        XCTAssertEqual(problem(#"{"current": "\#(a.base64)"}"#), "accepted")
    }
}
