import HTTPServer

/// The client address used for throttling: the peer, or — only when the peer is a configured
/// trusted proxy — the right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
///
/// Every `X-Forwarded-For` line counts: several lines are one comma-separated list in order
/// (RFC 9110 §5.3), and some proxies append a line of their own instead of extending the
/// client's. Reading only the first line would let a client's own line name the address.
struct ClientAddress: Sendable {
    let trustedProxies: Set<String>
    /// Longest hop kept as an address (an IPv6 address with a zone fits); longer ones are not
    /// addresses and the peer is used instead.
    static let maxHopLength = 64

    func resolve(_ head: HTTPRequestHead) -> String {
        let peer = head.peerAddress
        guard trustedProxies.contains(peer) else { return peer }
        let lines = head.headers.values("X-Forwarded-For")
        for line in lines.reversed() {
            for hop in line.split(separator: ",", omittingEmptySubsequences: true).reversed() {
                let address = hop.trimmingSpacesAndTabs()
                if address.isEmpty || trustedProxies.contains(String(address)) { continue }
                return address.utf8.count <= Self.maxHopLength ? String(address) : peer
            }
        }
        return peer
    }
}

extension Substring {
    /// Without the spaces and tabs (HTTP's OWS) around it.
    fileprivate func trimmingSpacesAndTabs() -> Substring {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
