#if canImport(Glibc)
import Glibc
#endif

/// Accepting (loop 0 only): admit under the connection cap, then hand out round-robin.
extension EventLoop {
    /// Pause after running out of descriptors or memory, rather than spinning on a listener
    /// that stays readable.
    static let acceptPauseMillis: Int64 = 100

    func acceptConnections() {
        owner.check()
        var address = sockaddr_storage()
        for _ in 0..<128 {
            let fd: Int32
            do {
                switch try Sys.accept(listenFD, &address) {
                case .wouldBlock: return
                case .done(let r): fd = Int32(r)
                }
            } catch {
                switch error.errno {
                case ECONNABORTED, EPROTO, EPERM:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    logger?.warning("http.accept_paused", ["error": .string(error.description)])
                    Sys.epollDelete(epollFD, listenFD)
                    acceptPausedUntil = now + EventLoop.acceptPauseMillis
                    return
                default:
                    logger?.warning("http.accept_failed", ["error": .string(error.description)])
                    return
                }
            }
            guard !stopping else {
                Sys.close(fd)
                continue
            }
            guard shared.admit() else {
                refuse(fd)
                continue
            }
            Socket.configureAccepted(fd, sendBufferBytes: config.socketSendBufferBytes)
            let peer = Socket.addressText(&address)
            let target = roundRobin % peers.count
            roundRobin &+= 1
            if target == index {
                adopt(fd: fd, peer: peer)
            } else if !peers[target].post(.adopt(fd: fd, peer: peer)) {
                Sys.close(fd)
                shared.release()
            }
        }
    }

    /// Over the cap: one best-effort write of the application's 503, then close.
    private func refuse(_ fd: Int32) {
        var response = handler.rejection(.tooManyConnections)
        response.closeConnection = true
        var bytes: [UInt8] = []
        ResponseEncoder.encode(
            response, into: &bytes, close: true, keepAliveHeader: false, omitBody: false,
            date: date.line)
        _ = bytes.withUnsafeBytes { p in try? Sys.send(fd, p.baseAddress!, p.count) }
        _ = try? Sys.call("shutdown") { Int(Glibc.shutdown(fd, Int32(SHUT_WR))) }
        Sys.close(fd)
    }
}
