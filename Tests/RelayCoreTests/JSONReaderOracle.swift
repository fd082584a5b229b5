// JSONObjectReader against Foundation's JSONSerialization, for the differential test
// (JSONObjectReaderDifferentialTests) and the otp_submission fuzz target (scripts/fuzz compiles this
// file into it, so no XCTest here).
//
// Where JSONSerialization (swift-corelibs-foundation, Swift 6.3 on Linux) knowingly differs from
// RFC 8259, the comparison leaves out exactly that:
// 1. Encoding. It reads UTF-16 and UTF-32 (a BOM FF FE, FE FF or 00 00 FE FF, or NULs among the
//    first bytes); RFC 8259 §8.1 allows UTF-8 only. The reader must refuse such input; not compared.
// 2. Depth. It nests up to 512 levels; the reader up to JSONObjectReader.maxDepth (64). Deeper
//    input must be refused by the reader; not compared.
// 3. Trailing commas. It accepts `[1,]` and `{"a":1,}`. The reader must refuse input that has one,
//    and is compared on the same input with those commas made spaces.
// 4. Number range. It refuses numbers it cannot represent (`1e400`, 400 nines); RFC 8259 §6 allows
//    any. It is given the input with each such number made `0` and spaces.
// Both rewrites keep the length, so they cannot change how JSONSerialization guesses the encoding.
// 5. U+FEFF in strings. It drops a raw U+FEFF at the start of a string or right after an escape
//    (so `"\u{FEFF}otp"` is the name `otp` to it). For input holding EF BB BF anywhere but as the
//    leading BOM, only the kind of outcome is compared, not the values.
// 6. Duplicate names. It keeps the last value of a name given twice; the reader refuses a body in
//    which one of its three names appears twice at the top level. The oracle finds the top-level
//    names by its own scan and decodes each with JSONSerialization, and expects that refusal.
// Lone or unpaired surrogates, invalid UTF-8, control characters and bad escapes need no
// exclusion: both refuse them. No scalar is canonically equivalent to a lowercase ASCII letter, so
// `[String: Any]` lookups of the three names match exactly the keys the reader matches byte for byte.
import Foundation

@testable import RelayCore

/// What a parser made of a body: the webhook's three fields when it is an object.
enum JSONOutcome: Equatable, CustomStringConvertible {
    case invalid
    case notAnObject
    case object([JSONObjectReader.Value?])
    /// A valid object giving one of the three fields twice.
    case duplicateMember

    /// Equality with strings compared scalar by scalar (String's `==` is canonical equivalence).
    func sameAs(_ other: JSONOutcome) -> Bool {
        guard case .object(let a) = self, case .object(let b) = other else { return kind == other.kind }
        return a.count == b.count
            && zip(a, b).allSatisfy { x, y in
                if case .string(let s)? = x, case .string(let t)? = y { return Array(s.unicodeScalars) == Array(t.unicodeScalars) }
                return x == y
            }
    }

    var kind: Int {
        switch self {
        case .invalid: 0
        case .notAnObject: 1
        case .object: 2
        case .duplicateMember: 3
        }
    }

    var description: String {
        switch self {
        case .invalid: return "invalid"
        case .notAnObject: return "not an object"
        case .duplicateMember: return "duplicate member"
        case .object(let v):
            return "object("
                + v.map { x -> String in
                    switch x {
                    case nil: "absent"
                    case .null?: "null"
                    case .other?: "other"
                    case .string(let s)?: "string " + s.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " ")
                    }
                }.joined(separator: ", ") + ")"
        }
    }
}

enum JSONReaderOracle {
    static let fields = ["identifier", "otp", "channel"]
    static let reader = JSONObjectReader(fields: fields)

    static func readerOutcome(_ bytes: [UInt8]) -> JSONOutcome {
        do throws(JSONObjectReader.Failure) {
            return .object(try reader.read(bytes))
        } catch .invalid {
            return .invalid
        } catch .duplicateMember {
            return .duplicateMember
        } catch {
            return .notAnObject
        }
    }

    /// `jsonObject(with:options: [])` decides object or not; `.fragmentsAllowed` tells a valid scalar
    /// from invalid text.
    static func foundationOutcome(_ bytes: [UInt8]) -> JSONOutcome {
        let any: Any
        do {
            any = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
        } catch {
            return (try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)) == nil ? .invalid : .notAnObject
        }
        guard let obj = any as? [String: Any] else { return .notAnObject }
        return .object(
            fields.map { name -> JSONObjectReader.Value? in
                guard let v = obj[name] else { return nil }
                if v is NSNull { return .null }
                if let s = v as? String { return .string(s) }
                return .other
            })
    }

    /// The result of comparing both parsers on one input.
    struct Verdict {
        /// What differs, nil when they agree.
        var problem: String?
        /// An exclusion above applied: outcomes were not compared in full.
        var excluded: Bool
    }

    static func compare(_ bytes: [UInt8]) -> Verdict {
        let mine = readerOutcome(bytes)
        if foundationReadsAsUTF16or32(bytes) {
            return Verdict(
                problem: mine == .invalid ? nil : "reader accepted what JSONSerialization reads as UTF-16/32: \(mine)", excluded: true)
        }
        let scan = Scan(bytes)
        if scan.maxDepth > JSONObjectReader.maxDepth {
            return Verdict(problem: mine == .invalid ? nil : "reader accepted nesting \(scan.maxDepth) deep", excluded: true)
        }
        var compared = mine
        if scan.withoutTrailingCommas != bytes {
            guard mine == .invalid else { return Verdict(problem: "reader accepted a trailing comma: \(mine)", excluded: true) }
            compared = readerOutcome(scan.withoutTrailingCommas)
        }
        var theirs = foundationOutcome(scan.withRepresentableNumbers)
        if case .object = theirs, scan.givesAFieldTwice { theirs = .duplicateMember }
        let excluded = scan.withoutTrailingCommas != bytes || scan.withRepresentableNumbers != bytes || scan.hasInnerByteOrderMark
        // With an inner U+FEFF, JSONSerialization may read two names as one (or not): object and
        // duplicate count as one kind there.
        let agree = scan.hasInnerByteOrderMark ? min(compared.kind, 2) == min(theirs.kind, 2) : compared.sameAs(theirs)
        return Verdict(problem: agree ? nil : "reader \(compared), JSONSerialization \(theirs)", excluded: excluded)
    }

    /// JSONSerialization.detectEncoding and parseBOM: anything but UTF-8.
    static func foundationReadsAsUTF16or32(_ b: [UInt8]) -> Bool {
        if b.count >= 2, (b[0], b[1]) == (0xFF, 0xFE) || (b[0], b[1]) == (0xFE, 0xFF) { return true }
        if b.count >= 4 {
            if b[0...3].elementsEqual([0, 0, 0xFE, 0xFF]) { return true }
            return b[0] == 0 && b[1] == 0 && b[2] == 0 || b[1] == 0 && b[2] == 0 && b[3] == 0
                || b[0] == 0 && b[2] == 0 || b[1] == 0 && b[3] == 0
        }
        return b.count >= 2 && (b[0] == 0 || b[1] == 0)
    }

    /// One pass over the input outside strings (strings tracked as JSON lexes them: `"` to the next
    /// unescaped `"`): nesting depth, trailing commas, numbers JSONSerialization cannot represent.
    struct Scan {
        var maxDepth = 0
        var withoutTrailingCommas: [UInt8] = []
        var withRepresentableNumbers: [UInt8] = []
        var hasInnerByteOrderMark = false
        /// The member names of the top-level object, as written (with their quotes).
        var topLevelNames: [[UInt8]] = []

        /// Whether one of the webhook's fields is among the top-level names twice (names decoded by
        /// JSONSerialization).
        var givesAFieldTwice: Bool {
            let decoded = topLevelNames.compactMap { raw in
                (try? JSONSerialization.jsonObject(with: Data([UInt8(ascii: "[")] + raw + [UInt8(ascii: "]")])) as? [String])?.first
            }
            return JSONReaderOracle.fields.contains { f in decoded.filter { $0 == f }.count > 1 }
        }

        init(_ b: [UInt8]) {
            var depth = 0, i = 0, inString = false
            var stringStart = 0, pendingName: Range<Int>?  // a string at depth 1, a name if ':' follows
            var lastSignificant: UInt8 = 0  // outside strings, not whitespace
            withoutTrailingCommas.reserveCapacity(b.count)
            withRepresentableNumbers.reserveCapacity(b.count)
            if b.count >= 4 {
                hasInnerByteOrderMark = (1...(b.count - 3)).contains { b[$0] == 0xEF && b[$0 + 1] == 0xBB && b[$0 + 2] == 0xBF }
            }
            while i < b.count {
                let c = b[i]
                if inString {
                    if c == UInt8(ascii: "\\"), i + 1 < b.count {
                        withoutTrailingCommas += b[i...i + 1]; withRepresentableNumbers += b[i...i + 1]
                        i += 2
                        continue
                    }
                    if c == UInt8(ascii: "\"") {
                        inString = false
                        lastSignificant = c
                        if depth == 1 { pendingName = stringStart..<(i + 1) }
                    }
                } else {
                    switch c {
                    case UInt8(ascii: "\""):
                        inString = true
                        stringStart = i
                    case UInt8(ascii: ":"):
                        if depth == 1, let name = pendingName { topLevelNames.append(Array(b[name])) }
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; maxDepth = max(maxDepth, depth)
                    case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                    case UInt8(ascii: ","):
                        var j = i + 1
                        while j < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[j]) { j += 1 }
                        let closes = j < b.count && (b[j] == UInt8(ascii: "}") || b[j] == UInt8(ascii: "]"))
                        if closes, lastSignificant != 0, !"{[,:".utf8.contains(lastSignificant) {
                            withoutTrailingCommas.append(UInt8(ascii: " "))
                            withRepresentableNumbers.append(c)
                            i += 1
                            continue
                        }
                    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                        var j = i
                        while j < b.count, "0123456789+-.eE".utf8.contains(b[j]) { j += 1 }
                        let token = Array(b[i..<j])
                        withoutTrailingCommas += token
                        withRepresentableNumbers +=
                            Scan.representable(token)
                            ? token : [UInt8(ascii: "0")] + Array(repeating: UInt8(ascii: " "), count: token.count - 1)
                        lastSignificant = b[j - 1]
                        i = j
                        continue
                    default: break
                    }
                    if ![0x20, 0x09, 0x0A, 0x0D].contains(c) {
                        lastSignificant = c
                        if c != UInt8(ascii: "\"") { pendingName = nil }
                    }
                }
                withoutTrailingCommas.append(c); withRepresentableNumbers.append(c)
                i += 1
            }
        }

        /// Whether JSONSerialization takes `token` as a number: true for anything not an RFC 8259
        /// number (left for both parsers to refuse).
        static func representable(_ token: [UInt8]) -> Bool {
            guard isNumber(token), token.count > 15 || token.contains(UInt8(ascii: "e")) || token.contains(UInt8(ascii: "E")) else {
                return true
            }
            return (try? JSONSerialization.jsonObject(with: Data([UInt8(ascii: "[")] + token + [UInt8(ascii: "]")]))) != nil
        }

        static func isNumber(_ t: [UInt8]) -> Bool {
            var i = 0
            func digits() -> Int { let s = i; while i < t.count, t[i] >= 0x30, t[i] <= 0x39 { i += 1 }; return i - s }
            if i < t.count, t[i] == UInt8(ascii: "-") { i += 1 }
            guard i < t.count, t[i] >= 0x30, t[i] <= 0x39 else { return false }
            if t[i] == 0x30 { i += 1 } else { _ = digits() }
            if i < t.count, t[i] == UInt8(ascii: ".") { i += 1; guard digits() > 0 else { return false } }
            if i < t.count, t[i] == UInt8(ascii: "e") || t[i] == UInt8(ascii: "E") {
                i += 1
                if i < t.count, t[i] == UInt8(ascii: "+") || t[i] == UInt8(ascii: "-") { i += 1 }
                guard digits() > 0 else { return false }
            }
            return i == t.count
        }
    }

    /// OTPSubmission.parse as it was with JSONSerialization (commit 466f4bd), to check the messages
    /// stay the same.
    static func legacyParse(_ body: [UInt8], defaultCountryCode: String) -> Result<OTPSubmission, PartnerError> {
        func field(_ obj: [String: Any], _ name: String) throws(PartnerError) -> String {
            guard let v = obj[name], !(v is NSNull) else { throw .invalidRequest("Field \"\(name)\" is required") }
            guard let s = v as? String else { throw .invalidRequest("Field \"\(name)\" must be a string") }
            return s
        }
        return Result { () throws(PartnerError) -> OTPSubmission in
            guard !body.isEmpty else { throw .invalidRequest("The request body must be a JSON object") }
            let any: Any
            do {
                any = try JSONSerialization.jsonObject(with: Data(body), options: [])
            } catch {
                throw .invalidRequest("The request body is not valid JSON")
            }
            guard let obj = any as? [String: Any] else { throw .invalidRequest("The request body must be a JSON object") }
            let channelText = try field(obj, "channel")
            guard let channel = Channel(partnerValue: channelText) else {
                throw .invalidRequest("Field \"channel\" must be one of email, sms, whatsapp")
            }
            let otp = try field(obj, "otp")
            guard (4...10).contains(otp.utf8.count), otp.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw .invalidRequest("Field \"otp\" must be 4 to 10 digits")
            }
            let identifier = try field(obj, "identifier")
            guard identifier.utf8.count <= 320,
                let recipient = Recipient.normalize(identifier, for: channel, defaultCountryCode: defaultCountryCode)
            else {
                throw .invalidRequest(
                    channel.isPhone
                        ? "Field \"identifier\" must be a phone number (E.164, or national with a leading 0) for channel "
                            + "\(channel.rawValue)"
                        : "Field \"identifier\" must be an email address for channel email")
            }
            return OTPSubmission(channel: channel, recipient: recipient, otp: otp)
        }
    }

    /// OTPSubmission.parse against `legacyParse` where the parsers were compared in full. The one
    /// intended changes: a valid top-level scalar (`"abc"`, `1`) was "not valid JSON" and is now
    /// "must be a JSON object", like an array; a field given twice was read as its last value and is
    /// now refused.
    static func parseProblem(_ bytes: [UInt8], verdict: Verdict) -> String? {
        guard verdict.problem == nil, !verdict.excluded else { return nil }
        let new = Result { () throws(PartnerError) -> OTPSubmission in try OTPSubmission.parse(bytes, defaultCountryCode: "62") }
        let old = legacyParse(bytes, defaultCountryCode: "62")
        if new == old { return nil }
        if case .failure(let n) = new, case .failure(let o) = old, readerOutcome(bytes) == .notAnObject,
            n.errorDescription == "The request body must be a JSON object", o.errorDescription == "The request body is not valid JSON"
        {
            return nil
        }
        if case .failure(let n) = new, readerOutcome(bytes) == .duplicateMember,
            n.errorDescription == "The request body gives a field more than once"
        {
            return nil
        }
        return "OTPSubmission.parse gave \(new), with JSONSerialization \(old)"
    }
}
