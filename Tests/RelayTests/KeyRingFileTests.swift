import Foundation
import RelayCore
import RelayCrypto
import RelayTestSupport
import XCTest

@testable import Relay

/// The data key file's two formats, `rotate`, and the two rounds of `rotate --stage` / `--promote`.
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

    private func ringFile(_ dir: TempDirectory, _ text: String) throws -> String {
        let path = dir.file("data-key")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func problem(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "accepted"
        } catch { return String(describing: error) }
    }

    func testStageAddsANextKeyAndChangesNothingElse() throws {
        let dir = TempDirectory()
        let b = DataKey.generate()
        let path = try ringFile(dir, #"{"current": "\#(b.base64)", "previous": ["\#(a.base64)"]}"#)
        let (old, new) = try KeyRingFile.stage(path)
        let staged = try XCTUnwrap(new.staged)
        XCTAssertEqual(old.staged?.keyID, nil)
        let read = try XCTUnwrap(try KeyRingFile.load(path))
        XCTAssertEqual(read.current.keyID, b.keyID, "current unchanged")
        XCTAssertEqual(read.previous.map(\.keyID), [a.keyID], "previous unchanged")
        XCTAssertEqual(read.index.keyID, a.keyID, "index unchanged (written out now)")
        XCTAssertEqual(read.staged?.keyID, staged.keyID)
        XCTAssertFalse([a.keyID, b.keyID].contains(staged.keyID))
        XCTAssertTrue(try String(contentsOfFile: path, encoding: .utf8).contains(#""next": "\#(staged.base64)""#))
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int, 0o600)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains(".tmp-") })
        // The staged key opens, never seals.
        XCTAssertEqual(read.openingKeys.map(\.keyID), [b.keyID, a.keyID, staged.keyID])
        let ad = Array("job".utf8)
        XCTAssertEqual(KeyRing.keyID(of: try read.seal([1, 2, 3], associatedData: ad)), b.keyID)
        let byStaged = try KeyRing(current: staged).seal([4, 5], associatedData: ad)
        XCTAssertEqual(try read.open(byStaged, associatedData: ad), [4, 5])
        XCTAssertTrue(read.isUnderStagedKey(byStaged))
        XCTAssertFalse(read.isUnderStagedKey(try read.seal([4, 5], associatedData: ad)))
    }

    func testStagingTwiceAndRotatingAStagedRingAreRefused() throws {
        let dir = TempDirectory()
        let path = try ringFile(dir, a.base64 + "\n")
        _ = try KeyRingFile.stage(path)
        let before = try String(contentsOfFile: path, encoding: .utf8)
        for change in [KeyRingFile.stage, KeyRingFile.rotate] {
            let text = problem { try change(path) }
            XCTAssertTrue(text.contains("already has a staged key"), text)
            XCTAssertTrue(text.contains("--promote"), text)
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), before, "nothing was changed")
    }

    func testPromoteWithoutAStagedKeyIsRefused() throws {
        let dir = TempDirectory()
        let path = try ringFile(dir, a.base64 + "\n")
        let text = problem { try KeyRingFile.promote(path) }
        XCTAssertTrue(text.contains("no staged key"), text)
        XCTAssertTrue(text.contains("--stage"), text)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), a.base64 + "\n")
    }

    /// Each node promotes its own copy of the one staged file: the copies come out identical.
    func testPromoteIsDeterministic() throws {
        let dirA = TempDirectory(), dirB = TempDirectory()
        let b = DataKey.generate()
        let pathA = try ringFile(dirA, #"{"current": "\#(b.base64)", "previous": ["\#(a.base64)"], "index": "\#(a.base64)"}"#)
        let (_, stagedRing) = try KeyRingFile.stage(pathA)
        let staged = try XCTUnwrap(stagedRing.staged)
        let pathB = try ringFile(dirB, try String(contentsOfFile: pathA, encoding: .utf8))
        let (old, new) = try KeyRingFile.promote(pathA)
        _ = try KeyRingFile.promote(pathB)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: pathA)), try Data(contentsOf: URL(fileURLWithPath: pathB)))
        XCTAssertEqual(old.current.keyID, b.keyID)
        XCTAssertEqual(new.current.keyID, staged.keyID)
        let read = try XCTUnwrap(try KeyRingFile.load(pathB))
        XCTAssertEqual(read.current.keyID, staged.keyID)
        XCTAssertEqual(read.previous.map(\.keyID), [b.keyID, a.keyID], "the old current first")
        XCTAssertEqual(read.index.keyID, a.keyID)
        XCTAssertNil(read.staged)
        XCTAssertFalse(try String(contentsOfFile: pathB, encoding: .utf8).contains("next"))
        // A promoted ring rotates again by either way.
        XCTAssertNotNil(try KeyRingFile.stage(pathB).new.staged)
    }

    func testRingsWithAStagedKeyParseAndRender() throws {
        let b = DataKey.generate(), c = DataKey.generate()
        let text = #"{"current": "\#(b.base64)", "previous": ["\#(a.base64)"], "index": "\#(a.base64)", "next": "\#(c.base64)"}"#
        let ring = try KeyRingFile.parse(Data(text.utf8), path: "k")
        XCTAssertEqual(ring.staged?.keyID, c.keyID)
        let again = try KeyRingFile.parse(Data(KeyRingFile.render(ring).utf8), path: "k")
        XCTAssertEqual(KeyRingFile.render(again), KeyRingFile.render(ring))
        XCTAssertEqual(again.openingKeys.map(\.keyID), [b.keyID, a.keyID, c.keyID])
        // A ring without "next" renders as before.
        XCTAssertEqual(
            KeyRingFile.render(KeyRing(current: b, previous: [a])),
            "{\n  \"current\": \"\(b.base64)\",\n  \"previous\": [\n    \"\(a.base64)\"\n  ],\n  \"index\": \"\(a.base64)\"\n}\n")
        func parse(_ t: String) -> String { problem { try KeyRingFile.parse(Data(t.utf8), path: "k") } }
        XCTAssertTrue(parse(#"{"current": "\#(b.base64)", "next": "AAAA"}"#).contains("\"next\" does not hold 32 bytes"))
        XCTAssertTrue(parse(#"{"current": "\#(b.base64)", "next": "\#(b.base64)"}"#).contains("already the current key"))
        XCTAssertTrue(parse(#"{"current": "\#(b.base64)", "previous": ["\#(a.base64)"], "next": "\#(a.base64)"}"#).contains("already"))
        XCTAssertTrue(parse(#"{"current": "\#(b.base64)", "next": "\#(c.base64)", "staged": 1}"#).contains("staged"))
        XCTAssertTrue(parse(#"{"current": "\#(b.base64)", "next": "\#(c.base64)", "staged": 1}"#) != "accepted")
    }
}
