import Foundation

/// A configuration error: always names the key, never echoes a secret value.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let key: String
    public let problem: String
    public init(key: String, _ problem: String) { self.key = key; self.problem = problem }
    public var description: String { key.isEmpty ? "config: \(problem)" : "config: \(key): \(problem)" }
}

/// Reads one JSON object of the configuration file, remembering which keys were read so that
/// unknown keys stop start-up with their full dotted name.
struct ConfigReader {
    let path: String
    let object: [String: Any]
    private var seen: Set<String> = []

    init(path: String, object: [String: Any]) { self.path = path; self.object = object }

    static func parse(data: Data) throws -> ConfigReader {
        let any: Any
        do { any = try JSONSerialization.jsonObject(with: data, options: []) } catch {
            throw ConfigError(key: "", "the file is not valid JSON")
        }
        guard let obj = any as? [String: Any] else { throw ConfigError(key: "", "the top level must be a JSON object") }
        return ConfigReader(path: "", object: obj)
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    mutating func string(_ key: String) throws -> String? {
        seen.insert(key)
        guard let v = object[key], !(v is NSNull) else { return nil }
        guard let s = v as? String else { throw ConfigError(key: name(key), "must be a string") }
        return s
    }

    mutating func int(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        seen.insert(key)
        guard let v = object[key], !(v is NSNull) else { return nil }
        guard let n = v as? NSNumber, !isJSONBool(n),
            let i = Int(exactly: n.doubleValue), Double(i) == n.doubleValue
        else { throw ConfigError(key: name(key), "must be a whole number") }
        guard range.contains(i) else {
            throw ConfigError(key: name(key), "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return i
    }

    mutating func bool(_ key: String) throws -> Bool? {
        seen.insert(key)
        guard let v = object[key], !(v is NSNull) else { return nil }
        guard let n = v as? NSNumber, isJSONBool(n) else {
            throw ConfigError(key: name(key), "must be true or false")
        }
        return n.boolValue
    }

    mutating func strings(_ key: String) throws -> [String]? {
        seen.insert(key)
        guard let v = object[key], !(v is NSNull) else { return nil }
        guard let a = v as? [Any] else { throw ConfigError(key: name(key), "must be an array of strings") }
        return try a.enumerated().map { i, e in
            guard let s = e as? String else { throw ConfigError(key: "\(name(key))[\(i)]", "must be a string") }
            return s
        }
    }

    mutating func object(_ key: String) throws -> ConfigReader? {
        seen.insert(key)
        guard let v = object[key], !(v is NSNull) else { return nil }
        guard let o = v as? [String: Any] else { throw ConfigError(key: name(key), "must be an object") }
        return ConfigReader(path: name(key), object: o)
    }

    mutating func objects(_ key: String) throws -> [ConfigReader]? {
        seen.insert(key)
        guard let v = object[key], !(v is NSNull) else { return nil }
        guard let a = v as? [Any] else { throw ConfigError(key: name(key), "must be an array of objects") }
        return try a.enumerated().map { i, e in
            guard let o = e as? [String: Any] else { throw ConfigError(key: "\(name(key))[\(i)]", "must be an object") }
            return ConfigReader(path: "\(name(key))[\(i)]", object: o)
        }
    }

    /// Marks a key as known without reading it (for sections parsed elsewhere).
    mutating func accept(_ key: String) { seen.insert(key) }

    /// Throws for the first key that was never read.
    func rejectUnknown() throws {
        for k in object.keys.sorted() where !seen.contains(k) {
            throw ConfigError(key: name(k), "unknown key")
        }
    }
}

/// Whether a JSONSerialization number is a JSON `true`/`false` (Foundation bridges both to NSNumber).
func isJSONBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }
