import Foundation

/// An invalid `delivery` setting. `key` is the full dotted path (`delivery.providers.meta.access_token`),
/// so start-up and `config check` can name it. Never holds a value (it may be a secret).
public struct DeliveryConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let key: String
    public let problem: String

    public init(key: String, _ problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "\(key): \(problem)" }
}

/// A read-only view of one JSON object of the configuration that remembers which keys were read,
/// so unknown keys (typos) stop start-up with their name. Values are what `JSONSerialization`
/// gives or plain Swift values (`String`, `Double`, `Int`, `Bool`, arrays, dictionaries).
struct ConfigSection {
    let path: String
    private let object: [String: Any]
    private var read: Set<String> = []

    init(_ object: [String: Any], path: String) {
        self.object = object
        self.path = path
    }

    func key(_ k: String) -> String { "\(path).\(k)" }

    func fail(_ k: String, _ problem: String) -> DeliveryConfigurationError {
        DeliveryConfigurationError(key: key(k), problem)
    }

    private mutating func value(_ k: String) -> Any? {
        read.insert(k)
        guard let v = object[k], !(v is NSNull) else { return nil }
        return v
    }

    mutating func string(_ k: String) throws(DeliveryConfigurationError) -> String? {
        guard let v = value(k) else { return nil }
        guard let s = v as? String else { throw fail(k, "must be a string") }
        return s
    }

    mutating func requiredString(_ k: String) throws(DeliveryConfigurationError) -> String {
        guard let s = try string(k), !s.isEmpty else { throw fail(k, "is required") }
        return s
    }

    mutating func double(_ k: String) throws(DeliveryConfigurationError) -> Double? {
        guard let v = value(k) else { return nil }
        if v is String || v is [Any] || v is [String: Any] { throw fail(k, "must be a number") }
        if let d = v as? Double { return d }
        if let i = v as? Int { return Double(i) }
        throw fail(k, "must be a number")
    }

    /// An integer in `range`.
    mutating func int(_ k: String, in range: ClosedRange<Int64>) throws(DeliveryConfigurationError) -> Int64? {
        guard let d = try double(k) else { return nil }
        guard d.rounded() == d, d >= Double(range.lowerBound), d <= Double(range.upperBound) else {
            throw fail(k, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int64(d)
    }

    mutating func bool(_ k: String) throws(DeliveryConfigurationError) -> Bool? {
        guard let v = value(k) else { return nil }
        guard let b = v as? Bool else { throw fail(k, "must be true or false") }
        return b
    }

    mutating func object(_ k: String) throws(DeliveryConfigurationError) -> ConfigSection? {
        guard let v = value(k) else { return nil }
        guard let o = v as? [String: Any] else { throw fail(k, "must be an object") }
        return ConfigSection(o, path: key(k))
    }

    mutating func stringArray(_ k: String) throws(DeliveryConfigurationError) -> [String]? {
        guard let v = value(k) else { return nil }
        guard let a = v as? [Any], let strings = a as? [String] else { throw fail(k, "must be an array of strings") }
        return strings
    }

    /// An object whose values are all strings (headers, content variables, language codes).
    mutating func stringMap(_ k: String) throws(DeliveryConfigurationError) -> [String: String]? {
        guard let v = value(k) else { return nil }
        guard let o = v as? [String: Any] else { throw fail(k, "must be an object of strings") }
        var out: [String: String] = [:]
        for (name, value) in o {
            guard let s = value as? String else { throw fail("\(k).\(name)", "must be a string") }
            out[name] = s
        }
        return out
    }

    /// A secret given as `k` (the value), `k_file` (a file holding it) or `k_env` (an environment
    /// variable holding it); at most one of them.
    mutating func secret(_ k: String, environment: [String: String]) throws(DeliveryConfigurationError) -> String? {
        let direct = try string(k), file = try string(k + "_file"), env = try string(k + "_env")
        guard [direct, file, env].compactMap({ $0 }).count <= 1 else {
            throw fail(k, "give one of \(k), \(k)_file, \(k)_env")
        }
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw fail(k + "_file", "cannot read \(file)") }
            let s = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !s.isEmpty else { throw fail(k + "_file", "\(file) is empty") }
            return s
        }
        if let env {
            guard let s = environment[env], !s.isEmpty else { throw fail(k + "_env", "environment variable \(env) is not set") }
            return s
        }
        return direct
    }

    /// The keys present in the object (all of them, read or not).
    var keys: [String] { object.keys.sorted() }

    /// Fails on the first key that was never read.
    func rejectUnknownKeys() throws(DeliveryConfigurationError) {
        if let unknown = object.keys.sorted().first(where: { !read.contains($0) }) {
            throw fail(unknown, "unknown key")
        }
    }

    /// Marks every key as read (for maps keyed by names, validated by the caller).
    mutating func entries() -> [(String, Any)] {
        read.formUnion(object.keys)
        return object.keys.sorted().map { ($0, object[$0]!) }
    }
}
