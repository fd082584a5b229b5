import Foundation

/// Reading provider JSON responses (Foundation's parser) and building request bodies.
enum ProviderJSON {
    /// The parsed object, or nil for anything that is not a JSON object.
    static func object(_ bytes: [UInt8]) -> [String: Any]? {
        guard !bytes.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    /// Follows a dot path (`messages.0.id`): keys in objects, indices in arrays.
    static func value(at path: String, in root: Any) -> Any? {
        var cur: Any? = root
        for key in path.split(separator: ".", omittingEmptySubsequences: false) {
            if let obj = cur as? [String: Any] {
                cur = obj[String(key)]
            } else if let arr = cur as? [Any], let i = Int(key), arr.indices.contains(i) {
                cur = arr[i]
            } else {
                return nil
            }
        }
        return cur
    }

    /// A string or number at a path, as text.
    static func string(at path: String, in root: Any) -> String? {
        switch value(at: path, in: root) {
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        default: return nil
        }
    }

    /// An integer at a path (numbers, or digit strings).
    static func int(at path: String, in root: Any) -> Int? {
        switch value(at: path, in: root) {
        case let n as NSNumber: return n.intValue
        case let s as String: return Int(s)
        default: return nil
        }
    }

    /// Serializes a JSON value built from dictionaries, arrays and strings (sorted keys, stable).
    static func encode(_ value: Any) -> [UInt8] {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Array(data)
    }
}

extension ProviderJSON {
    /// True when the bytes are one JSON text (any value).
    static func isValidJSON(_ bytes: [UInt8]) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
    }
}
