import CPostgres
import Foundation

/// One statement of a pipeline: SQL with `$1…$n` bound to `params` (text; nil is NULL).
struct PGStatement: Sendable {
    let sql: String
    let params: [String?]

    init(_ sql: String, _ params: [String?] = []) {
        self.sql = sql
        self.params = params
    }
}

extension PGConnection {
    /// Runs the statements in libpq's pipeline mode (PostgreSQL 14+ client, any 10+ server): all
    /// sent at once, then one Sync, so they cost one round trip. The server runs them in order;
    /// without a `BEGIN` among them they form one implicit transaction ending at the Sync. After
    /// the first failure the server skips the rest (`PGRES_PIPELINE_ABORTED`) and that failure is
    /// thrown, once every result was read (a transaction the statements opened is then failed:
    /// `rollbackIfNeeded`). Results in the statements' order otherwise.
    ///
    /// Large statements with large results could fill both sockets' buffers while the blocking
    /// send waits, so callers keep one side small: the writer sends batches and reads back only
    /// repeats and lost leases; a claim sends two short statements and reads its jobs.
    func pipeline(_ statements: [PGStatement]) throws(PGError) -> [PGResult] {
        dropIfClosedWhileIdle()
        let conn = try connection()
        guard PQenterPipelineMode(conn) == 1 else { throw failed(conn) }
        for s in statements {
            let sent = withOptionalCStrings(s.params) { values in
                PQsendQueryParams(conn, s.sql, Int32(s.params.count), nil, values, nil, nil, 0)
            }
            guard sent == 1 else { throw failed(conn) }
        }
        guard PQpipelineSync(conn) == 1 else { throw failed(conn) }
        var results: [PGResult] = []
        results.reserveCapacity(statements.count)
        var first: PGError?
        for _ in statements {
            // One result per statement, then NULL.
            guard let r = PQgetResult(conn) else { throw failed(conn) }
            let status = PQresultStatus(r)
            if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
                results.append(Self.copy(r))
            } else if status != PGRES_PIPELINE_ABORTED, first == nil {
                first = PGError.from(result: r, connection: conn)
            }
            PQclear(r)
            while let extra = PQgetResult(conn) { PQclear(extra) }
            if PQstatus(conn) != CONNECTION_OK { throw failed(conn) }
        }
        guard let sync = PQgetResult(conn) else { throw failed(conn) }
        let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
        PQclear(sync)
        guard synced, PQexitPipelineMode(conn) == 1 else { throw failed(conn) }
        discardNotifications(conn)
        if let first {
            if first.connectionLost { close() }
            throw first
        }
        return results
    }

    /// A connection the server closed while it sat idle (a restart, `idle_session_timeout`, an
    /// administrator's `pg_terminate_backend`) has data or EOF waiting on its socket: dropped here,
    /// without a round trip, so the next use connects afresh instead of failing a batch.
    func dropIfClosedWhileIdle() {
        guard let handle, PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) == PQTRANS_IDLE else { return }
        var p = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return }
        if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK {
            close()
            return
        }
        discardNotifications(handle)
    }

    /// Frees the notifications libpq queued on a connection that does not listen. Through a
    /// PgBouncer in transaction mode a server session some listener ran `LISTEN` on is handed to
    /// other clients, and its notifications arrive on them: unread, libpq would keep them all.
    func discardNotifications(_ conn: OpaquePointer) {
        guard !keepsNotifications else { return }
        while let n = PQnotifies(conn) { PQfreemem(n) }
    }

    /// The connection's own failure (a send, a lost socket, a protocol surprise): it is dropped,
    /// so the next use reconnects.
    private func failed(_ conn: OpaquePointer) -> PGError {
        let e = PGError.lost(PGError.connectionMessage(conn))
        close()
        return e
    }
}
