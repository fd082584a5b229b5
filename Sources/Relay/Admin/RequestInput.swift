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

    /// A boolean field; nil when absent, invalid_request when it is anything else, null included
    /// (a `"dry_run": "yes"` must not run for real).
    func bool(_ k: String) throws(PartnerError) -> Bool? {
        guard let v = object[k] else { return nil }
        guard let n = v as? NSNumber, isJSONBool(n) else { throw .invalidRequest("Field \"\(k)\" must be true or false") }
        return n.boolValue
    }

    func requiredString(_ k: String) throws(PartnerError) -> String {
        guard let s = object[k] as? String, !s.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .invalidRequest("Field \"\(k)\" is required")
        }
        guard s.utf8.count <= 500 else { throw .invalidRequest("Field \"\(k)\" is too long") }
        return s
    }

    /// The fields `keys` as text, for filters given in the body: the `numbers` among them must be
    /// JSON numbers (given as their text), the others JSON strings, as `docs/openapi.yaml` says;
    /// absent ones left out, invalid_request for any other type, null included (a filter must
    /// never be dropped).
    func strings(_ keys: [String], numbers: Set<String> = []) throws(PartnerError) -> [String: String] {
        var out: [String: String] = [:]
        for k in keys {
            guard let v = object[k] else { continue }
            if numbers.contains(k) {
                guard let n = v as? NSNumber, !isJSONBool(n) else { throw .invalidRequest("Field \"\(k)\" must be a number") }
                out[k] = n.stringValue
            } else {
                guard let s = v as? String else { throw .invalidRequest("Field \"\(k)\" must be a string") }
                out[k] = s
            }
        }
        return out
    }
}
