import CPostgres

/// A PostgreSQL failure: its SQLSTATE (nil when the connection itself failed) and the primary
/// message. Never the server's DETAIL field, which can quote a row's values (a dedupe key, a
/// payload); never the connection string, which can hold a password.
public struct PGError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Five characters (`23505`, `08006`, …); nil for a failure to connect or a lost connection.
    public let sqlState: String?
    public let message: String
    /// The connection is gone (refused, reset, server shut down): reconnect before the next use.
    public let connectionLost: Bool

    init(sqlState: String?, message: String, connectionLost: Bool) {
        self.sqlState = sqlState
        self.message = message
        self.connectionLost = connectionLost
    }

    static func lost(_ message: String) -> PGError { PGError(sqlState: nil, message: message, connectionLost: true) }

    /// A failure of the database or the connection rather than of one request: connection
    /// exceptions (08), operator intervention (57: shutdown, cannot connect now), insufficient
    /// resources (53), a read-only server (25006: a standby after a failover), serialization and
    /// deadlock (40). Constraint (23) and data (22) errors concern the request.
    public var isStoreWide: Bool {
        guard let s = sqlState, !connectionLost else { return true }
        return !(s.hasPrefix("23") || s.hasPrefix("22") || s.hasPrefix("42"))
    }

    public var description: String {
        "postgresql: \(sqlState.map { "\($0) " } ?? "")\(message)"
    }

    /// The error of a failed result, with what the connection says about itself.
    static func from(result: OpaquePointer?, connection: OpaquePointer?) -> PGError {
        let bad = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
        if let result, let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))) {
            let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) } ?? "error"
            let code = String(cString: state)
            let lost = bad || code.hasPrefix("08") || code == "57P01" || code == "57P02" || code == "57P03"
            return PGError(sqlState: code, message: primary, connectionLost: lost)
        }
        return .lost(connectionMessage(connection))
    }

    /// libpq's message for the connection, on one line.
    static func connectionMessage(_ connection: OpaquePointer?) -> String {
        guard let connection, let m = PQerrorMessage(connection) else { return "connection failed" }
        let text = String(cString: m).split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.isEmpty ? "connection failed" : text
    }
}

extension OutboxError {
    /// A store-wide PostgreSQL failure is `.unavailable` (503); one of a single request is `.invalidRequest`.
    static func from(_ e: PGError) -> OutboxError {
        e.isStoreWide ? .unavailable(e.description) : .invalidRequest(e.description)
    }
}
