import RelayCrypto

/// The rows of a result, copied out of libpq in text format, and the count of rows a command
/// changed. Column accessors read the text PostgreSQL sends (`t`/`f`, decimal, `\x` hex bytea).
struct PGResult: Sendable {
    let rows: [[String?]]
    /// `PQcmdTuples`: rows inserted, updated or deleted (0 for other commands).
    let affected: Int

    var count: Int { rows.count }

    func string(_ row: Int, _ column: Int) -> String { rows[row][column] ?? "" }
    func optionalString(_ row: Int, _ column: Int) -> String? { rows[row][column] }
    func int64(_ row: Int, _ column: Int) -> Int64 { rows[row][column].flatMap { Int64($0) } ?? 0 }
    func optionalInt64(_ row: Int, _ column: Int) -> Int64? { rows[row][column].flatMap { Int64($0) } }
    func int(_ row: Int, _ column: Int) -> Int { Int(int64(row, column)) }
    func optionalInt(_ row: Int, _ column: Int) -> Int? { optionalInt64(row, column).map(Int.init) }
    func bool(_ row: Int, _ column: Int) -> Bool { rows[row][column] == "t" }
    func bytes(_ row: Int, _ column: Int) -> [UInt8]? { rows[row][column].flatMap(PG.decodeBytea) }
}

/// Text encodings of parameters (every parameter is sent as text, typed by a cast in the SQL).
enum PG {
    static func int(_ v: Int64?) -> String? { v.map { String($0) } }
    static func int(_ v: Int?) -> String? { v.map { String($0) } }
    static func bool(_ v: Bool) -> String { v ? "t" : "f" }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `bytea` in hex format: `\x` then two hex digits per byte.
    static func bytea(_ bytes: [UInt8]?) -> String? {
        guard let bytes else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(2 + bytes.count * 2)
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "x"))
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decodeBytea(_ text: String) -> [UInt8]? {
        guard text.utf8.starts(with: "\\x".utf8) else { return nil }
        return Crypto.unhex(String(decoding: text.utf8.dropFirst(2), as: UTF8.self))
    }

    /// An array literal (`{"a",NULL,"b"}`) of text elements, each quoted with `"` and `\` escaped,
    /// for `unnest($1::text[])` and `= ANY($1::bytea[])`. Built on UTF-8 bytes (the writer builds a
    /// dozen per batch on its critical path): no byte of a multi-byte sequence is `"` or `\`.
    static func array(_ elements: [String?]) -> String {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var out = [UInt8]()
        out.reserveCapacity(elements.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        out.append(UInt8(ascii: "{"))
        for (i, e) in elements.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            guard let e else {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            out.append(quote)
            for b in e.utf8 {
                if b == quote || b == backslash { out.append(backslash) }
                out.append(b)
            }
            out.append(quote)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
