import RelayCore
import Transport

#if canImport(Glibc)
import Glibc
#endif

/// SQEKYC's `meta` object: its request id, a status word and a message. The status word is kept
/// for operators but never compared: the partner document spells success `"sucess"`, and a fix of
/// that spelling on their side must not break us. Success is a 2xx with a well-formed `meta`.
public struct SQEKYCMeta: Sendable, Equatable {
    public let id: String
    public let status: String
    public let message: String
}

/// Reading SQEKYC's answers: `{"meta": {...}}` for a store, `{"data": {...}, "meta": {...}}` for a fetch.
enum SQEKYCResponse {
    /// Longest `meta` text kept; longer ones are cut.
    static let maxTextLength = 200

    /// The parsed body, or nil when it is not a JSON object.
    static func body(_ bytes: [UInt8]) -> JSONValue? {
        guard let v = try? JSONParser.parse(bytes), case .object = v else { return nil }
        return v
    }

    /// `meta` when it is an object whose `status` is a non-empty string and whose `id` and
    /// `message`, when present, are strings (or a number for `id`).
    static func meta(_ body: JSONValue?) -> SQEKYCMeta? {
        guard let m = body?["meta"], case .object = m,
            let status = m["status"]?.stringValue, !status.isEmpty
        else { return nil }
        let id = m["id"]
        let message = m["message"]
        if let id, id != .null, id.scalarText == nil { return nil }
        if let message, message != .null, message.stringValue == nil { return nil }
        return SQEKYCMeta(
            id: safeID(id?.scalarText ?? ""), status: String(status.prefix(maxTextLength)),
            message: String((message?.stringValue ?? "").prefix(maxTextLength)))
    }

    /// The request id as a safe token for logs and `last_error`: letters, digits and `-_.:`
    /// only, at most 64 characters.
    static func safeID(_ s: String) -> String {
        String(
            s.unicodeScalars.filter { c in
                (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || "-_.:".unicodeScalars.contains(c)
            }.prefix(64).map(Character.init))
    }

    /// `Retry-After` as delta-seconds or an IMF-fixdate, in milliseconds from `nowMillis`
    /// (never negative, at most a day).
    static func retryAfterMillis(_ response: HTTPClientResponse, nowMillis: Int64) -> Int64? {
        guard let v = response.header("Retry-After")?.trimmingASCIIWhitespace(), !v.isEmpty else { return nil }
        let day: Int64 = 86_400_000
        if v.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let secs = Int64(v.prefix(9)) else { return nil }
            return min(day, secs * 1000)
        }
        guard let at = parseIMFFixdate(v) else { return nil }
        return min(day, max(0, at - nowMillis))
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT` to epoch milliseconds.
    static func parseIMFFixdate(_ s: String) -> Int64? {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let parts = s.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT", let day = Int32(parts[1]),
            let month = months.firstIndex(of: String(parts[2])), let year = Int32(parts[3])
        else { return nil }
        let hms = parts[4].split(separator: ":").compactMap { Int32($0) }
        guard hms.count == 3, (1...31).contains(day), (0...23).contains(hms[0]), (0...59).contains(hms[1]),
            (0...60).contains(hms[2])
        else { return nil }
        var t = tm()
        t.tm_year = year - 1900
        t.tm_mon = Int32(month)
        t.tm_mday = day
        t.tm_hour = hms[0]
        t.tm_min = hms[1]
        t.tm_sec = hms[2]
        return Int64(timegm(&t)) * 1000
    }
}
