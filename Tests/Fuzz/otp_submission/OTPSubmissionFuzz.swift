import Foundation

@testable import RelayCore

// libFuzzer target: the webhook body (OTPSubmission.parse) and recipient normalization
// (Recipient.normalizePhone / normalizeEmail). Built by scripts/fuzz with -sanitize=fuzzer,address
// against an -enable-testing build of RelayCore.
// Invariants checked on every input (a violation aborts and libFuzzer keeps the input):
// - an accepted phone is E.164: ^\+[1-9][0-9]{7,14}$, and normalizing it again gives itself;
// - an accepted email is ASCII, has one @, ≤ 254 bytes, and no CR, LF, space, control, <>(),;:"\[];
//   normalizing it again gives itself;
// - an accepted OTP is 4–10 ASCII digits; the masked recipient never equals the full one;
// - an error's description and JSON body never carry the OTP, nor any run of 4+ digits from the
//   input, nor a control character;
// - JSONObjectReader and JSONSerialization agree on object-or-not and on the identifier, otp and
//   channel members, and OTPSubmission.parse answers as it did with JSONSerialization, except where
//   JSONSerialization knowingly departs from RFC 8259 (Tests/RelayCoreTests/JSONReaderOracle.swift,
//   compiled in by scripts/fuzz, lists each case).
#if canImport(Glibc)
import Glibc
#endif

/// Violations are reported as `INVARIANT VIOLATED (otp_submission): …` (`require`, Tests/Fuzz/Shared).
let fuzzTargetName = "otp_submission"

private func isE164(_ s: String) -> Bool {
    let b = Array(s.utf8)
    guard b.count >= 9, b.count <= 16, b[0] == UInt8(ascii: "+"), b[1] >= 0x31, b[1] <= 0x39 else { return false }
    return b.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
}

private let forbiddenInEmail: Set<UInt8> = Set("<>(),;:\"\\[]".utf8)

private func isSafeEmail(_ s: String) -> Bool {
    let b = Array(s.utf8)
    guard !b.isEmpty, b.count <= 254, b.filter({ $0 == UInt8(ascii: "@") }).count == 1 else { return false }
    let at = b.firstIndex(of: UInt8(ascii: "@"))!
    guard at > 0, at <= 64, b[(at + 1)...].contains(UInt8(ascii: ".")) else { return false }
    return b.allSatisfy { $0 > 0x20 && $0 < 0x7F && !forbiddenInEmail.contains($0) }
}

/// Runs of at least 4 ASCII digits in `bytes` (candidate OTPs).
private func digitRuns(_ bytes: [UInt8]) -> [String] {
    var runs: [String] = [], cur: [UInt8] = []
    for c in bytes + [0] {
        if c >= 0x30 && c <= 0x39 { cur.append(c); continue }
        if cur.count >= 4 { runs.append(String(decoding: cur, as: UTF8.self)) }
        cur = []
    }
    return runs
}

/// What a mask may show. (Not "mask(r) != r": an address whose local part is literally `Jo***`
/// masks to itself, and hides nothing because there is nothing more to hide.)
private func checkMask(_ r: String) {
    let m = Recipient.mask(r)
    if let at = r.firstIndex(of: "@") {
        let local = r[..<at]
        require(m.hasSuffix("***" + r[at...]), "a masked email keeps only the domain after ***")
        let kept = m.count - 3 - r[at...].count
        require(
            kept <= 2 && (kept < local.count || local.count == 1) && m.hasPrefix(local.prefix(kept)),
            "a masked email shows at most 2 characters of the local part, never all of it")
    } else {
        let shown = m.utf8.filter { $0 >= 0x30 && $0 <= 0x39 }.count
        require(shown <= r.utf8.count - 1 - 4, "a masked phone hides at least 4 digits")
    }
}

private func checkRecipients(_ text: String) {
    for cc in ["62", "1", "44"] {
        if let p = Recipient.normalizePhone(text, defaultCountryCode: cc) {
            require(isE164(p), "normalized phone matches ^\\+[1-9][0-9]{7,14}$")
            require(Recipient.normalizePhone(p, defaultCountryCode: cc) == p, "phone normalization is idempotent")
            checkMask(p)
        }
    }
    if let e = Recipient.normalizeEmail(text) {
        require(isSafeEmail(e), "normalized email is a safe ASCII addr-spec (no CR/LF/<>…)")
        require(Recipient.normalizeEmail(e) == e, "email normalization is idempotent")
        checkMask(e)
    }
}

private func checkBody(_ body: [UInt8]) {
    do throws(PartnerError) {
        let s = try OTPSubmission.parse(body, defaultCountryCode: "62")
        let otp = Array(s.otp.utf8)
        require((4...10).contains(otp.count) && otp.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }, "OTP is 4-10 ASCII digits")
        switch s.channel {
        case .sms, .whatsapp: require(isE164(s.recipient), "phone recipient is E.164")
        case .email: require(isSafeEmail(s.recipient), "email recipient is safe")
        }
        checkMask(s.recipient)
    } catch {
        require(error.status == 400 && error.code == "invalid_request", "a bad body is 400 invalid_request")
        let texts = [error.errorDescription, error.description, String(decoding: error.body, as: UTF8.self)]
        for t in texts {
            require(!t.utf8.contains { $0 < 0x20 || $0 == 0x7F }, "error text has no control character")
            for run in digitRuns(Array(t.utf8)) {
                // Fixed texts hold no 4-digit run, so any run would come from the input.
                _ = run
                require(false, "error text never carries a run of 4+ digits (an OTP)")
            }
        }
        // And specifically never the input's OTP field, if one can be read and is digits (an OTP;
        // a duplicate "otp" key holding "hatsapp" legitimately matches "whatsapp" in a message).
        if let obj = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let otp = obj["otp"] as? String, otp.utf8.count >= 4, otp.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        {
            for t in texts { require(!t.contains(otp), "error text never contains the OTP") }
        }
    }
}

private func checkAgainstFoundation(_ body: [UInt8]) {
    let verdict = JSONReaderOracle.compare(body)
    let problem = verdict.problem ?? JSONReaderOracle.parseProblem(body, verdict: verdict)
    if let problem { _ = "\(problem)\n".withCString { write(2, $0, strlen($0)) } }
    require(verdict.problem == nil, "JSONObjectReader and JSONSerialization agree on object-or-not and the three fields")
    require(problem == nil, "OTPSubmission.parse answers as it did with JSONSerialization")
}

func fuzzOne(_ input: UnsafeRawBufferPointer) {
    let bytes = Array(input)
    checkBody(bytes)
    checkAgainstFoundation(bytes)
    if bytes.count <= 400 { checkRecipients(String(decoding: bytes, as: UTF8.self)) }
}
