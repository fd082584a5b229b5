import Foundation
import RelayCore

/// A decoded `application/x-www-form-urlencoded` query string.
struct QueryString {
    private var values: [String: String] = [:]

    init(_ query: String?) {
        for pair in (query ?? "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard let k = kv.first.flatMap(Self.decode) else { continue }
            values[k] = kv.count > 1 ? Self.decode(kv[1]) ?? "" : ""
        }
    }

    init(pairs: [String: String]) { values = pairs }

    subscript(_ key: String) -> String? { values[key].flatMap { $0.isEmpty ? nil : $0 } }

    static func decode(_ s: String) -> String? { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
}

/// A small JSON object request body, with errors in the partner's shape naming the field.
struct JSONBody {
    let object: [String: Any]

    init(_ body: [UInt8]) throws(PartnerError) {
        if body.isEmpty { object = [:]; return }
        guard let any = try? JSONSerialization.jsonObject(with: Data(body)), let o = any as? [String: Any] else {
            throw .invalidRequest("The request body must be a JSON object")
        }
        object = o
    }

    func string(_ k: String) -> String? { object[k] as? String }

    func bool(_ k: String) -> Bool? { (object[k] as? NSNumber).flatMap { isJSONBool($0) ? $0.boolValue : nil } }

    func requiredString(_ k: String) throws(PartnerError) -> String {
        guard let s = object[k] as? String, !s.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .invalidRequest("Field \"\(k)\" is required")
        }
        guard s.utf8.count <= 500 else { throw .invalidRequest("Field \"\(k)\" is too long") }
        return s
    }

    /// The string-valued fields, for filters given in the body.
    func strings() -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in object {
            if let s = v as? String { out[k] = s } else if let n = v as? NSNumber, !isJSONBool(n) { out[k] = n.stringValue }
        }
        return out
    }
}
