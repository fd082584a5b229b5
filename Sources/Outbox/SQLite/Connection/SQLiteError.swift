import CSQLite

/// A SQLite failure: the call that failed and its result code. The text comes from the result code
/// (and, for `prepare`, from our own SQL), never from a bound value, which can be an OTP.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The extended result code (`SQLITE_IOERR_FSYNC`, …).
    public let extendedCode: Int32
    /// The SQLite call or step that failed (`open`, `prepare`, `step`, `exec`, …).
    public let operation: String
    let detail: String

    init(code: Int32, operation: String, detail: String = "") {
        self.extendedCode = code
        self.operation = operation
        self.detail = detail
    }

    /// The primary result code (`SQLITE_FULL`, `SQLITE_BUSY`, …).
    public var code: Int32 { extendedCode & 0xFF }

    public var isFull: Bool { code == SQLITE_FULL }
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    public var isIOError: Bool { code == SQLITE_IOERR }

    /// A failure of the store itself rather than of one row: every write in a batch fails with it.
    /// Constraint, type and size violations concern a single item and are not store-wide.
    public var isStoreWide: Bool {
        switch code {
        case SQLITE_CONSTRAINT, SQLITE_MISMATCH, SQLITE_TOOBIG, SQLITE_RANGE: false
        default: true
        }
    }

    /// The connection may be unusable afterwards and should be reopened.
    var needsReopen: Bool {
        code == SQLITE_IOERR || code == SQLITE_CORRUPT || code == SQLITE_NOTADB || code == SQLITE_CANTOPEN
    }

    /// A short stable name for logs and metrics: `full`, `busy`, `ioerr`, `constraint`, …
    public var name: String {
        switch code {
        case SQLITE_FULL: "full"
        case SQLITE_BUSY: "busy"
        case SQLITE_LOCKED: "locked"
        case SQLITE_IOERR: "ioerr"
        case SQLITE_CORRUPT: "corrupt"
        case SQLITE_NOTADB: "notadb"
        case SQLITE_CANTOPEN: "cantopen"
        case SQLITE_READONLY: "readonly"
        case SQLITE_NOMEM: "nomem"
        case SQLITE_CONSTRAINT: "constraint"
        case SQLITE_MISMATCH: "mismatch"
        case SQLITE_TOOBIG: "toobig"
        case SQLITE_MISUSE: "misuse"
        case SQLITE_ERROR: "error"
        default: "code\(code)"
        }
    }

    public var description: String {
        let text = String(cString: sqlite3_errstr(extendedCode))
        let base = "sqlite \(operation) failed: \(name) (\(extendedCode)): \(text)"
        return detail.isEmpty ? base : base + "; " + detail
    }
}
