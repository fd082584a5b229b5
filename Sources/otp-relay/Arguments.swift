/// Hand-written argument parsing: options (`--name value` or `--name=value`), flags and
/// positionals; every argument must be consumed, and an unknown one is named in the error.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

struct Arguments {
    private var items: [String]
    private var used: [Bool]

    init(_ items: some Sequence<String>) {
        self.items = Array(items)
        self.used = Array(repeating: false, count: self.items.count)
    }

    /// `--help` or `-h` anywhere.
    mutating func help() -> Bool { flag("--help") || flag("-h") }

    mutating func flag(_ name: String) -> Bool {
        var found = false
        for (i, a) in items.enumerated() where !used[i] && a == name {
            used[i] = true
            found = true
        }
        return found
    }

    mutating func option(_ name: String) throws -> String? {
        var value: String?
        for i in items.indices where !used[i] {
            if items[i] == name {
                guard i + 1 < items.count, !used[i + 1] else { throw UsageError("\(name) needs a value") }
                used[i] = true
                used[i + 1] = true
                value = items[i + 1]
            } else if items[i].hasPrefix(name + "=") {
                used[i] = true
                value = String(items[i].dropFirst(name.count + 1))
            }
        }
        return value
    }

    mutating func options(_ name: String) throws -> [String] {
        var values: [String] = []
        while let v = try option(name) { values.append(v) }
        return values
    }

    /// The remaining positionals (anything not starting with `-`, and `-` itself).
    mutating func positionals() -> [String] {
        var out: [String] = []
        for i in items.indices where !used[i] && (!items[i].hasPrefix("-") || items[i] == "-") {
            used[i] = true
            out.append(items[i])
        }
        return out
    }

    /// Throws for the first argument nobody consumed.
    func finish() throws {
        if let i = used.firstIndex(of: false) {
            throw UsageError(items[i].hasPrefix("-") ? "unknown option \(items[i])" : "unexpected argument \(items[i])")
        }
    }
}
