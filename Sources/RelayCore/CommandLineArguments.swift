/// A command line that a command cannot run with; the executable prints it and exits with status 2.
public struct UsageError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The one command-line parser of `otp-relay` (every command, `token verify` included): options
/// (`--name value` or `--name=value`), flags and positionals, in any order; everything after `--`
/// is positional. A command asks for the options it takes, then for its `positionals()`, which
/// refuses whatever option is left, naming it (the name only: a mistyped `--pasword=…` never
/// echoes its value); a command without positionals ends with `finish()`.
public struct CommandLineArguments {
    private var items: [String]
    private var used: [Bool]
    /// Items from here on follow `--`: positionals only.
    private let endOfOptions: Int
    /// The word for an unknown `-…` argument in errors ("option"; `token verify` says "flag").
    private let optionWord: String

    public init(_ items: some Sequence<String>, optionWord: String = "option") {
        self.items = Array(items)
        self.used = Array(repeating: false, count: self.items.count)
        self.optionWord = optionWord
        if let dashes = self.items.firstIndex(of: "--") {
            used[dashes] = true
            endOfOptions = dashes
        } else {
            endOfOptions = self.items.count
        }
    }

    /// `--help` or `-h` anywhere.
    public mutating func help() throws(UsageError) -> Bool {
        let long = try flag("--help")
        let short = try flag("-h")
        return long || short
    }

    /// True when `name` is given (any number of times); `name=value` is refused.
    public mutating func flag(_ name: String) throws(UsageError) -> Bool {
        var found = false
        for i in 0..<endOfOptions where !used[i] {
            if items[i] == name {
                used[i] = true
                found = true
            } else if items[i].hasPrefix(name + "=") {
                throw UsageError("\(name) takes no value")
            }
        }
        return found
    }

    /// The value of `name` (the last one when it is given more than once), or nil when absent.
    /// - Parameter emptyAllowed: false refuses `--name ""` as a missing value.
    public mutating func option(_ name: String, emptyAllowed: Bool = true) throws(UsageError) -> String? {
        var value: String?
        for i in 0..<endOfOptions where !used[i] {
            if items[i] == name {
                guard i + 1 < endOfOptions, !used[i + 1] else { throw UsageError("\(name) needs a value") }
                used[i] = true
                used[i + 1] = true
                value = items[i + 1]
            } else if items[i].hasPrefix(name + "=") {
                used[i] = true
                value = String(items[i].dropFirst(name.count + 1))
            }
        }
        if value?.isEmpty == true, !emptyAllowed { throw UsageError("\(name) needs a value") }
        return value
    }

    /// Every value of `name`, in order.
    public mutating func options(_ name: String) throws(UsageError) -> [String] {
        var values: [String] = []
        while let v = try option(name) { values.append(v) }
        return values
    }

    /// The remaining positionals (anything not starting with `-`, `-` itself, and all after `--`),
    /// once the command has asked for all its options: an option left is refused as by `finish`.
    public mutating func positionals() throws(UsageError) -> [String] {
        var out: [String] = []
        for i in items.indices where !used[i] && (i > endOfOptions || !items[i].hasPrefix("-") || items[i] == "-") {
            used[i] = true
            out.append(items[i])
        }
        try finish()
        return out
    }

    /// Throws for the first argument nobody consumed.
    public func finish() throws(UsageError) {
        guard let i = used.firstIndex(of: false) else { return }
        let item = items[i]
        if item.hasPrefix("-") {
            let name = item.firstIndex(of: "=").map { item[..<$0] } ?? item[...]
            throw UsageError("unknown \(optionWord) \(name.prefix(40))")
        }
        throw UsageError("unexpected argument \(item)")
    }
}
