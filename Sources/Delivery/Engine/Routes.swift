import RelayCore

/// Where a channel's messages go: an ordered ladder of provider names per channel, and an
/// optional fallback channel whose ladder follows when the last rung cannot reach the person
/// (WhatsApp → SMS for someone not on WhatsApp).
///
/// A job's `route_step` indexes the flattened ladder: for `whatsapp: [meta, twilio]` with fallback
/// `sms: [twilio-sms]`, step 0 is meta, 1 is twilio on WhatsApp, 2 is twilio-sms on SMS. Only the
/// step is stored, so changing routes between restarts moves queued jobs to whatever rung now has
/// that index (a step past the end means no route left).
public struct Routes: Sendable, Equatable {
    /// One position on a ladder: the channel actually used and the provider name.
    public struct Rung: Sendable, Equatable {
        public let step: Int
        public let channel: Channel
        public let provider: String
    }

    public private(set) var ladders: [Channel: [String]]
    public private(set) var fallbacks: [Channel: Channel]

    /// Fails on a fallback cycle, a fallback between a phone channel and email (the recipient
    /// would not fit), or an empty ladder.
    public init(ladders: [Channel: [String]], fallbacks: [Channel: Channel] = [:]) throws(RoutesError) {
        for (channel, ladder) in ladders where ladder.isEmpty {
            throw RoutesError("\(channel.rawValue): the ladder is empty")
        }
        for (from, to) in fallbacks {
            guard from.isPhone == to.isPhone else {
                throw RoutesError("\(from.rawValue): cannot fall back to \(to.rawValue) (the recipient is not the same kind)")
            }
            guard ladders[to] != nil else {
                throw RoutesError("\(from.rawValue): fallback channel \(to.rawValue) has no route")
            }
            var seen: Set<Channel> = [from]
            var next: Channel? = to
            while let c = next {
                guard seen.insert(c).inserted else { throw RoutesError("\(from.rawValue): fallback cycle") }
                next = fallbacks[c]
            }
        }
        self.ladders = ladders
        self.fallbacks = fallbacks
    }

    /// Every channel to one provider (the embedded sandbox default).
    public static func single(_ provider: String) -> Routes {
        var ladders: [Channel: [String]] = [:]
        for c in Channel.allCases { ladders[c] = [provider] }
        return try! Routes(ladders: ladders)
    }

    /// The whole flattened ladder of a channel, fallback channels included.
    public func rungs(for channel: Channel) -> [Rung] {
        var out: [Rung] = []
        var current: Channel? = channel
        var seen: Set<Channel> = []
        while let c = current, seen.insert(c).inserted {
            for p in ladders[c] ?? [] { out.append(Rung(step: out.count, channel: c, provider: p)) }
            current = fallbacks[c]
        }
        return out
    }

    /// The rung at `step`, or nil when the ladder is exhausted.
    public func rung(for channel: Channel, step: Int) -> Rung? {
        let all = rungs(for: channel)
        return all.indices.contains(step) ? all[step] : nil
    }

    /// Every provider name used by some route.
    public var providerNames: Set<String> { Set(ladders.values.joined()) }
}

/// An invalid route setting; the text names the channel.
public struct RoutesError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
