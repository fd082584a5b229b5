import Foundation
import HTTPServer

/// The client address used for throttling: the peer, or — only when the peer is a configured
/// trusted proxy — the right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
struct ClientAddress: Sendable {
    let trustedProxies: Set<String>

    func resolve(_ head: HTTPRequestHead) -> String {
        let peer = head.peerAddress
        guard trustedProxies.contains(peer), let xff = head.headers.first("X-Forwarded-For") else { return peer }
        let hops = xff.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for hop in hops.reversed() where !trustedProxies.contains(hop) {
            return hop.count <= 64 ? hop : peer
        }
        return peer
    }
}
