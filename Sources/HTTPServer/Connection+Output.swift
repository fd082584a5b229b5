#if canImport(Glibc)
import Glibc
#endif

/// Writing, deadlines and the end of a connection.
extension Connection {
    /// Sends pending output in as few calls as the socket allows; once everything is out and
    /// no request remains, ends the connection. Output drained to its low-water mark after
    /// backpressure resumes reading on the loop's next turn (not from inside the flush, so a
    /// client that both floods and reads takes one turn's worth at a time).
    func flush() {
        owner.check()
        var blocked = false
        send: while hasPendingOutput {
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
                blocked = true
                break send
            }
        }
        let resume = machine.outputSent(pending: output.count - outputSent)
        if blocked {
            machine.writeBlocked(now: loop.now)
            compactOutput()
        } else {
            if output.capacity > Connection.retainedOutputBytes {
                output = []
            } else {
                output.removeAll(keepingCapacity: true)
            }
            outputSent = 0
            switch machine.outputWritten(now: loop.now, nothingInFlight: slots.isEmpty, stopping: loop.stopping) {
            case .close: return close()
            case .linger: return linger()
            default: break
            }
        }
        if resume { loop.resumeLater(self) }
    }

    /// Drops the bytes already sent from the front of the output once they are many and at least
    /// as many as those left (so each byte moved was preceded by one sent): output that a slow
    /// reader never lets empty would otherwise keep growing the array.
    private func compactOutput() {
        guard outputSent >= Connection.retainedOutputBytes, outputSent >= output.count - outputSent else { return }
        output.removeSubrange(0..<outputSent)
        outputSent = 0
    }

    /// Everything owed is written and the peer is still there: half-close and drain its input for
    /// a while (the machine holds the deadline), so unread bytes do not turn the close into a reset
    /// that could destroy the response before the peer reads it.
    func linger() {
        _ = try? Sys.call("shutdown") { Int(Glibc.shutdown(fd, Int32(SHUT_WR))) }
        discardInput()
    }

    /// Enforces the head, body, idle, write and linger deadlines.
    func checkDeadlines(now: Int64) {
        owner.check()
        let action = machine.checkDeadlines(now: now, inFlight: slots.count, hasOutput: hasPendingOutput)
        switch action {
        case .none, .linger: break
        case .close: close()
        case .reject(let rejection): reject(rejection)
        case .resetAfterWriteTimeout:
            loop.logger?.info("http.write_timeout", ["peer": .string(peer)])
            reset()
        }
    }

    /// Closes with a reset, discarding what the kernel still holds for a peer that stopped
    /// reading (a plain close would keep trickling it out).
    func reset() {
        var abortive = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = try? Sys.call("setsockopt") {
            Int(setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, socklen_t(MemoryLayout<Glibc.linger>.size)))
        }
        close()
    }

    /// Server shutdown: close now if nothing is in flight; a request whose body is arriving
    /// may still complete; in every other case finish what is in flight, then close.
    func beginShutdown() {
        owner.check()
        if machine.beginShutdown(nothingPending: nothingPending) == .close { close() }
    }
}
