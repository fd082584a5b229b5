import RelayCore
import XCTest

/// The one command-line parser: options in any order, flags, positionals, `--`, and the errors
/// that name what is wrong without echoing a value.
final class CommandLineArgumentsTests: XCTestCase {
    private func usage(_ body: () throws -> Void) -> String? {
        do { try body() } catch let e as UsageError { return e.description } catch { return "\(error)" }
        return nil
    }

    func testOptionsFlagsAndPositionalsInAnyOrder() throws {
        var a = CommandLineArguments(["show", "--json", "--limit=5", "ID", "--config", "c.json", "-", "--limit", "7"])
        XCTAssertFalse(try a.help())
        XCTAssertTrue(try a.flag("--json"))
        XCTAssertEqual(try a.option("--config"), "c.json")
        XCTAssertEqual(try a.option("--limit"), "7", "the last one wins")
        XCTAssertNil(try a.option("--status"))
        XCTAssertEqual(try a.positionals(), ["show", "ID", "-"])
        XCTAssertNoThrow(try a.finish())
    }

    func testEverythingAfterDoubleDashIsPositional() throws {
        var a = CommandLineArguments(["--issuer", "x", "--", "--json", "-t"])
        XCTAssertFalse(try a.flag("--json"))
        XCTAssertEqual(try a.option("--issuer"), "x")
        XCTAssertEqual(try a.positionals(), ["--json", "-t"])
        XCTAssertNoThrow(try a.finish())
    }

    func testErrorsNameTheArgument() {
        var a = CommandLineArguments(["--config"])
        XCTAssertEqual(usage { _ = try a.option("--config") }, "--config needs a value")
        var b = CommandLineArguments(["--issuer", ""])
        XCTAssertEqual(usage { _ = try b.option("--issuer", emptyAllowed: false) }, "--issuer needs a value")
        var c = CommandLineArguments(["--json=yes"])
        XCTAssertEqual(usage { _ = try c.flag("--json") }, "--json takes no value")
        let d = CommandLineArguments(["--pasword=hunter2"])
        XCTAssertEqual(usage { try d.finish() }, "unknown option --pasword", "the value is never echoed")
        let e = CommandLineArguments(["--frobnicate"], optionWord: "flag")
        XCTAssertEqual(usage { try e.finish() }, "unknown flag --frobnicate")
        let f = CommandLineArguments(["extra"])
        XCTAssertEqual(usage { try f.finish() }, "unexpected argument extra")
        var g = CommandLineArguments(["show", "--jsn", "ID"])
        XCTAssertEqual(usage { _ = try g.positionals() }, "unknown option --jsn", "positionals refuse an option nobody asked for")
    }

    func testHelpAnywhere() throws {
        var a = CommandLineArguments(["list", "-h"])
        XCTAssertTrue(try a.help())
        var b = CommandLineArguments(["--status", "dead", "--help"])
        XCTAssertTrue(try b.help())
    }
}
