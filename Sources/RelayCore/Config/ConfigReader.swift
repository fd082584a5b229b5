import Foundation

/// A configuration error: always names the key (its full dotted path, `delivery.providers.meta.access_token`,
/// `trusted_proxies[0]`), never echoes a value (it may be a secret).
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let key: String
    public let problem: String
    public init(key: String, _ problem: String) {
        self.key = key
        self.problem = problem
    }
    public var description: String { key.isEmpty ? "config: \(problem)" : "config: \(key): \(problem)" }
}

/// Reads one JSON object of the configuration file (as `JSONSerialization` gives it, or plain Swift
/// values), remembering which keys were read so that unknown keys (typos) stop start-up with their
/// full dotted name. The one reader of the service configuration and its `delivery` section.
public struct ConfigReader {
    /// The dotted path of this object ("" at the top level).
    public let path: String
    /// The object's members as parsed.
    public let values: [String: Any]
    private var seen: Set<String> = []

    public init(_ values: [String: Any], path: String = "") {
        self.values = values
        self.path = path
    }

    /// The top-level object of a configuration file.
    public static func parse(data: Data) throws(ConfigError) -> ConfigReader {
        guard let any = try? JSONSerialization.jsonObject(with: data, options: []) else {
            throw ConfigError(key: "", "the file is not valid JSON")
        }
        guard let obj = any as? [String: Any] else { throw ConfigError(key: "", "the top level must be a JSON object") }
        return ConfigReader(obj)
    }

    /// The full name of a member, for errors.
    public func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// An error naming a member.
    public func fail(_ key: String, _ problem: String) -> ConfigError { ConfigError(key: name(key), problem) }

    /// Whether a member is present and not null (does not mark it read).
    public func has(_ key: String) -> Bool { values[key] != nil && !(values[key] is NSNull) }

    private mutating func value(_ key: String) -> Any? {
        seen.insert(key)
        guard let v = values[key], !(v is NSNull) else { return nil }
        return v
    }

    public mutating func string(_ key: String) throws(ConfigError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v as? String else { throw fail(key, "must be a string") }
        return s
    }

    /// A non-empty string; absent or empty is "is required".
    public mutating func requiredString(_ key: String) throws(ConfigError) -> String {
        guard let s = try string(key), !s.isEmpty else { throw fail(key, "is required") }
        return s
    }

    public mutating func double(_ key: String) throws(ConfigError) -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = Self.number(v) else { throw fail(key, "must be a number") }
        return d
    }

    /// A whole number in `range`.
    public mutating func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let d = try double(key) else { return nil }
        guard d.rounded() == d, d >= Double(range.lowerBound), d <= Double(range.upperBound) else {
            throw fail(key, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(d)
    }

    /// A whole number in `range` read as a `Duration` in the unit the key's name ends with
    /// (`lease_ms`, `timeout_seconds`): `duration("lease_ms", in: 1_000...3_600_000)`.
    public mutating func duration(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Duration? {
        guard let n = try int(key, in: range) else { return nil }
        if key.hasSuffix("_ms") { return .milliseconds(n) }
        precondition(key.hasSuffix("_seconds"), "a duration key names its unit: \(key)")
        return .seconds(n)
    }

    public mutating func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = Self.bool(v) else { throw fail(key, "must be true or false") }
        return b
    }

    /// An array of strings; an element of another type is named by its index (`key[2]`).
    public mutating func strings(_ key: String) throws(ConfigError) -> [String]? {
        guard let v = value(key) else { return nil }
        guard let a = v as? [Any] else { throw fail(key, "must be an array of strings") }
        return try a.enumerated().map { (i, e) throws(ConfigError) in
            guard let s = e as? String else { throw ConfigError(key: "\(name(key))[\(i)]", "must be a string") }
            return s
        }
    }

    /// An object whose values are all strings (headers, content variables, language codes).
    public mutating func stringMap(_ key: String) throws(ConfigError) -> [String: String]? {
        guard let v = value(key) else { return nil }
        guard let o = v as? [String: Any] else { throw fail(key, "must be an object of strings") }
        var out: [String: String] = [:]
        for (member, value) in o {
            guard let s = value as? String else { throw fail("\(key).\(member)", "must be a string") }
            out[member] = s
        }
        return out
    }

    public mutating func object(_ key: String) throws(ConfigError) -> ConfigReader? {
        guard let v = value(key) else { return nil }
        guard let o = v as? [String: Any] else { throw fail(key, "must be an object") }
        return ConfigReader(o, path: name(key))
    }

    /// An array of objects, each read with its index in its path (`webhook_credentials[0].username`).
    public mutating func objects(_ key: String) throws(ConfigError) -> [ConfigReader]? {
        guard let v = value(key) else { return nil }
        guard let a = v as? [Any] else { throw fail(key, "must be an array of objects") }
        return try a.enumerated().map { (i, e) throws(ConfigError) in
            guard let o = e as? [String: Any] else { throw ConfigError(key: "\(name(key))[\(i)]", "must be an object") }
            return ConfigReader(o, path: "\(name(key))[\(i)]")
        }
    }

    /// A secret given as `key` (the value), `key_file` (a file holding it) or `key_env` (an
    /// environment variable holding it); at most one of them.
    public mutating func secret(_ key: String, environment: [String: String]) throws(ConfigError) -> String? {
        let direct = try string(key), file = try string(key + "_file"), env = try string(key + "_env")
        guard [direct, file, env].compactMap({ $0 }).count <= 1 else {
            throw fail(key, "give one of \(key), \(key)_file, \(key)_env")
        }
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw fail(key + "_file", "cannot read \(file)") }
            let s = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !s.isEmpty else { throw fail(key + "_file", "\(file) is empty") }
            return s
        }
        if let env {
            guard let s = environment[env], !s.isEmpty else { throw fail(key + "_env", "environment variable \(env) is not set") }
            return s
        }
        return direct
    }

    /// Marks a key as known without reading it (for sections parsed elsewhere).
    public mutating func accept(_ key: String) { seen.insert(key) }

    /// Every member, in key order, all marked read (for maps keyed by names the caller validates).
    public mutating func entries() -> [(String, Any)] {
        seen.formUnion(values.keys)
        return values.keys.sorted().map { ($0, values[$0]!) }
    }

    /// Throws for the first key (in sorted order) that was never read.
    public func rejectUnknownKeys() throws(ConfigError) {
        if let unknown = values.keys.sorted().first(where: { !seen.contains($0) }) {
            throw fail(unknown, "unknown key")
        }
    }

    /// A JSON number (not a boolean) as a Double.
    private static func number(_ v: Any) -> Double? {
        if let n = v as? NSNumber { return isJSONBool(n) ? nil : n.doubleValue }
        if let i = v as? Int { return Double(i) }
        return v as? Double
    }

    /// A JSON boolean (not a number).
    private static func bool(_ v: Any) -> Bool? {
        if let n = v as? NSNumber { return isJSONBool(n) ? n.boolValue : nil }
        return v as? Bool
    }
}

/// Whether a JSONSerialization number is a JSON `true`/`false` (Foundation bridges both to NSNumber).
public func isJSONBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }
