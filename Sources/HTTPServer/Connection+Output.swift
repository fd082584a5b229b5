#if canImport(Glibc)
import Glibc
#endif

/// Writing, deadlines and the end of a connection.
extension Connection {
    /// Sends pending output in as few calls as the socket allows; once everything is out and
    /// no request remains, ends the connection.
    func flush() {
        while hasPendingOutput {
            let result: Sys.IO
            do {
                result = try output.withUnsafeBytes { p throws(SystemError) in
                    try Sys.send(fd, p.baseAddress! + outputSent, p.count - outputSent)
                }
            } catch {
                close()
                return
            }
            switch result {
            case .done(let n):
                outputSent += n
            case .wouldBlock:
                if writeBlockedSince == 0 { writeBlockedSince = loop.now }
                return
            }
        }
        if output.capacity > Connection.retainedOutputBytes {
            output = []
        } else {
            output.removeAll(keepingCapacity: true)
        }
        outputSent = 0
        writeBlockedSince = 0
        lastActivity = loop.now
        if noMoreRequests && slots.isEmpty { finish() }
    }

    /// Everything owed is written. Close at once when the peer is gone or was too slow;
    /// otherwise half-close and drain its input for a while, so unread bytes do not turn the
    /// close into a reset that could destroy the response before the peer reads it.
    func finish() {
        if peerClosed || abortAfterFlush || config.lingerMillis == 0 {
            close()
            return
        }
        guard !lingering else { return }
        lingering = true
        // Shutting down, a peer that keeps the connection open is not waited for long.
        lingerUntil = loop.now + Int64(loop.stopping ? min(config.lingerMillis, 100) : config.lingerMillis)
        _ = try? Sys.call("shutdown") { Int(Glibc.shutdown(fd, Int32(SHUT_WR))) }
        discardInput()
    }

    /// Enforces the head, body, idle, write and linger deadlines.
    func checkDeadlines(now: Int64) {
        if closed { return }
        if lingering {
            if now >= lingerUntil { close() }
            return
        }
        if writeBlockedSince != 0 && now - writeBlockedSince >= Int64(config.writeTimeoutMillis) {
            loop.logger?.info("http.write_timeout", ["peer": .string(peer)])
            reset()
            return
        }
        if noMoreRequests { return }
        switch phase {
        case .head:
            if requestStartedAt != 0, slots.count < config.maxPipelinedRequests,
                now - requestStartedAt >= Int64(config.headTimeoutMillis)
            {
                reject(.requestTimeout)
            } else if requestStartedAt == 0, slots.isEmpty, !hasPendingOutput,
                now - lastActivity >= Int64(config.idleTimeoutMillis)
            {
                close()
            }
        case .body, .discard:
            if now - bodyStartedAt >= Int64(config.bodyTimeoutMillis) { reject(.requestTimeout) }
        }
    }

    /// Closes with a reset, discarding what the kernel still holds for a peer that stopped
    /// reading (a plain close would keep trickling it out).
    func reset() {
        var abortive = linger(l_onoff: 1, l_linger: 0)
        _ = try? Sys.call("setsockopt") {
            Int(setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, socklen_t(MemoryLayout<linger>.size)))
        }
        close()
    }

    /// Server shutdown: close now if nothing is in flight; a request whose body is arriving
    /// may still complete; in every other case finish what is in flight, then close.
    func beginShutdown() {
        if case .body = phase {
            lastRequest = true
        } else if slots.isEmpty && !hasPendingOutput {
            close()
        } else {
            noMoreRequests = true
        }
    }
}
