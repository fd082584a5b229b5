import RelayCore

@testable import SIMASID

// libFuzzer target: the SIMAS-ID access-token parsers (CompactJWS.parse, JSONParser.parse,
// Base64URL, and the claim checks of ClaimsValidator). Built by scripts/fuzz with
// -sanitize=fuzzer,address against an -enable-testing build of SIMASID.
// Invariants checked on every input (a violation aborts and libFuzzer keeps the input):
// - an accepted token has alg RS256 (never none/HS*), a non-empty kid, no crit, a non-empty
//   signature, and its signing input is the token up to the second dot;
// - base64url is strict and canonical: decode(encode(x)) == x and encode(decode(s)) == s;
// - JSONParser output re-serializes to text that parses back to the same value;
// - error details stay short (an attacker's bytes never make a long log line).
#if canImport(Glibc)
import Glibc
#endif

/// Violations are reported as `INVARIANT VIOLATED (jwt): …` (`require`, Tests/Fuzz/Shared).
let fuzzTargetName = "jwt"

private let limits = TokenLimits()
private let validator = ClaimsValidator(
    TokenVerifierConfiguration(
        issuer: "https://sso.example.com/realms/simas", clientID: "nanovest", jwksURI: "https://sso.example.com/certs"))

private func checkToken(_ bytes: [UInt8]) {
    let token = String(decoding: bytes, as: UTF8.self)
    do throws(TokenError) {
        let jws = try CompactJWS.parse(token, limits: limits)
        require(jws.header["alg"]?.stringValue == "RS256", "accepted alg is RS256 only")
        require(jws.header["crit"] == nil, "no crit accepted")
        require(!jws.keyID.isEmpty && jws.header["kid"]?.stringValue == jws.keyID, "kid is the header's, non-empty")
        require(!jws.signature.isEmpty, "signature is not empty")
        let t = Array(token.utf8)
        require(t.filter { $0 == UInt8(ascii: ".") }.count == 2, "exactly three segments")
        let second = t.indices.filter { t[$0] == UInt8(ascii: ".") }[1]
        require(jws.signingInput == Array(t[..<second]), "signing input is header.payload as sent")
        require(jws.payload.count <= limits.maxPayloadBytes, "payload within limit")
        // The claim checks run on any payload without trapping.
        do throws(TokenError) {
            let v = try validator.validate(payload: jws.payload, keyID: jws.keyID, nowMillis: 1_700_000_000_000)
            _ = v
        } catch {
            require(error.detail.utf8.count <= 1024, "claim error detail is bounded")
        }
    } catch {
        require(error.detail.utf8.count <= 600, "token error detail is bounded")
    }
}

private func checkBase64(_ bytes: [UInt8]) {
    let e = Base64URL.encode(bytes)
    require(
        e.utf8.allSatisfy {
            ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F
        },
        "encoding uses the base64url alphabet, no padding")
    require((try? Base64URL.decode(Array(e.utf8))) == bytes, "decode(encode(x)) == x")
    if let d = try? Base64URL.decode(bytes) {
        require(Base64URL.encode(d) == String(decoding: bytes, as: UTF8.self), "decoding is canonical: encode(decode(s)) == s")
    }
}

private func checkJSON(_ bytes: [UInt8]) {
    guard let v = try? JSONParser.parse(bytes, maxDepth: 16) else { return }
    let text = v.jsonText
    guard let again = try? JSONParser.parse(Array(text.utf8), maxDepth: 16) else {
        require(false, "re-serialized JSON parses")
        return
    }
    require(again == v, "JSON round-trips through jsonText")
}

func fuzzOne(_ input: UnsafeRawBufferPointer) {
    let bytes = Array(input)
    checkToken(bytes)
    checkJSON(bytes)
    checkBase64(bytes)
}
