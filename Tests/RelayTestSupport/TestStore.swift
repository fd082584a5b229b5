import Foundation
import XCTest

/// The stores the real binary runs on in end-to-end tests.
public enum StoreKind: String, Sendable, CaseIterable {
    /// The SQLite file (`OTP_RELAY_DB`), the embedded default.
    case sqlite
    /// A fresh database on the test process's PostgreSQL (`PostgresServer.shared`: one server per
    /// test process, one database per store) through `OTP_RELAY_DATABASE_URL`.
    case postgresql
}

/// One test's store: the environment that points the binary and its CLI at it, and SQL on it from
/// the test (the `sqlite3` CLI or `psql`). Write the SQL both dialects share: `CAST(x IS NULL AS
/// integer)` for a flag (SQLite prints 1/0, PostgreSQL t/f for a bare boolean), `||` to join.
public final class TestStore: @unchecked Sendable {
    public let kind: StoreKind
    /// The SQLite file: the store on `.sqlite`; on `.postgresql` a path the binary must not create.
    public let sqlitePath: String
    /// The PostgreSQL database's URL (nil on SQLite).
    public let url: String?
    private let server: PostgresServer?

    /// A store in `directory` (SQLite: `outbox.sqlite`, as `CrashRecoveryTests.environment`
    /// names it); on PostgreSQL a new database on the shared server, or an `XCTSkip` naming why
    /// there is none (`scripts/install-deps --test` installs it; CI has it).
    public init(_ kind: StoreKind, directory: TempDirectory) throws {
        self.kind = kind
        sqlitePath = directory.file("outbox.sqlite")
        switch kind {
        case .sqlite:
            server = nil
            url = nil
        case .postgresql:
            guard let s = PostgresServer.shared else { throw XCTSkip(PostgresServer.unavailableReason ?? "no PostgreSQL") }
            server = s
            url = try s.createDatabase(prefix: "e2e")
        }
    }

    /// Added to the binary's and the CLI's environment (`OTP_RELAY_DB` stays: the URL wins).
    public var environment: [String: String] {
        var env = ["OTP_RELAY_DB": sqlitePath]
        if let url { env["OTP_RELAY_DATABASE_URL"] = url }
        return env
    }

    /// The rows of a query, fields joined by `|` (both CLIs' default).
    public func rows(_ sql: String) throws -> [String] {
        if let server, let url { return try server.query(url, sql) }
        return try sqliteQuery(sqlitePath, sql)
    }

    /// Runs a statement that writes (the store's own tools, as an operator would).
    public func execute(_ sql: String) throws {
        if let server, let url {
            _ = try server.query(url, sql)
            return
        }
        let (status, _, err) = try runCommand("/usr/bin/sqlite3", ["-batch", sqlitePath, sql])
        guard status == 0 else { throw TestStoreError.failed("sqlite3: \(err)") }
    }

    /// `SELECT count(*) FROM jobs WHERE <condition>`.
    public func jobs(where condition: String) throws -> Int {
        Int(try rows("SELECT count(*) FROM jobs WHERE \(condition)").first ?? "") ?? -1
    }

    /// The first `bytes` bytes of a blob column as lower-case hex, in this store's dialect.
    public func hexPrefix(_ column: String, bytes: Int) -> String {
        kind == .sqlite ? "lower(hex(substr(\(column), 1, \(bytes))))" : "encode(substring(\(column) from 1 for \(bytes)), 'hex')"
    }
}

public enum TestStoreError: Error {
    case failed(String)
}
