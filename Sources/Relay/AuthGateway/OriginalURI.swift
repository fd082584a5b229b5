/// The path a `required_roles` prefix is matched against: the original request's URI as the proxy
/// reports it (`X-Original-URI`, `X-Forwarded-Uri`, or the tail after `/v1/auth/verify` that
/// Envoy's `path_prefix` appends), normalized the way nginx routes it: query and fragment cut,
/// percent-escapes decoded, `//` merged, `.` and `..` segments resolved. Without this,
/// `/public/../admin/x` would be judged as `/public` while the proxy serves `/admin/x`.
enum OriginalURI {
    /// The normalized path, or nil when it cannot be read safely (a bad escape, a NUL, a `..`
    /// above the root, not a path): the gateway then answers 403.
    static func normalizedPath(_ raw: String) -> String? {
        var bytes = Array(raw.utf8)
        if let cut = bytes.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            bytes.removeSubrange(cut...)
        }
        // An absolute-form URI: drop scheme and authority.
        if let r = bytes.firstRange(of: Array("://".utf8)), !bytes[..<r.lowerBound].contains(UInt8(ascii: "/")) {
            let rest = bytes[r.upperBound...]
            bytes = Array(rest.firstIndex(of: UInt8(ascii: "/")).map { rest[$0...] } ?? [UInt8(ascii: "/")])
        }
        guard bytes.first == UInt8(ascii: "/"), bytes.count <= 8192 else { return nil }
        guard let decoded = percentDecode(bytes), !decoded.contains(0) else { return nil }
        var segments: [ArraySlice<UInt8>] = []
        let parts = decoded.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        for part in parts {
            if part.elementsEqual([UInt8(ascii: ".")]) { continue }
            if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                guard !segments.isEmpty else { return nil }
                segments.removeLast()
                continue
            }
            segments.append(part)
        }
        var out: [UInt8] = []
        for s in segments {
            out.append(UInt8(ascii: "/"))
            out += s
        }
        let trailing = decoded.last == UInt8(ascii: "/") || parts.last.map { $0.elementsEqual([46]) || $0.elementsEqual([46, 46]) } == true
        if out.isEmpty || trailing { out.append(UInt8(ascii: "/")) }
        return String(validating: out, as: UTF8.self)
    }

    private static func percentDecode(_ b: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%") {
                guard i + 2 < b.count, let h = hex(b[i + 1]), let l = hex(b[i + 2]) else { return nil }
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return out
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }
}
