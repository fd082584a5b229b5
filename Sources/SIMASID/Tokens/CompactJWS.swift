import RelayCore

/// A JWS in compact serialization (RFC 7515 §7.1), split and decoded with limits, its protected
/// header checked against the policy before any key is looked at: only RS256 (never `none`,
/// never HMAC), no `crit` extensions (we understand none), `typ` when present `JWT` or `at+jwt`,
/// and a `kid`. Header members that point at keys (`jku`, `jwk`, `x5u`, `x5c`) are never used.
struct CompactJWS {
    /// The only algorithm accepted (RFC 8725 §3.1: an explicit allow-list, checked first).
    static let algorithm = "RS256"
    static let acceptedHeaderTypes: Set<String> = ["jwt", "at+jwt", "application/jwt", "application/at+jwt"]

    let keyID: String
    let headerType: String?
    let header: JSONValue
    /// `BASE64URL(header) '.' BASE64URL(payload)`: the bytes the signature covers.
    let signingInput: [UInt8]
    let payload: [UInt8]
    let signature: [UInt8]

    static func parse(_ token: String, limits: TokenLimits) throws(TokenError) -> CompactJWS {
        let bytes = Array(token.utf8)
        guard bytes.count <= limits.maxTokenBytes else {
            throw TokenError(.tokenTooLarge, "token is \(bytes.count) bytes, the limit is \(limits.maxTokenBytes)")
        }
        guard !bytes.isEmpty else { throw TokenError(.malformedToken, "token is empty") }
        var dots: [Int] = []
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: ".") {
            dots.append(i)
            if dots.count > 2 { break }
        }
        guard dots.count == 2 else {
            throw TokenError(
                .malformedToken,
                "a compact JWS has 3 dot-separated segments, this has "
                    + "\(dots.count + 1)\(dots.count > 2 ? " or more (JWE is not accepted)" : "")"
            )
        }
        let h = bytes[0..<dots[0]], p = bytes[(dots[0] + 1)..<dots[1]], s = bytes[(dots[1] + 1)...]
        guard !h.isEmpty else { throw TokenError(.malformedToken, "the header segment is empty") }

        let headerBytes = try decode(h, "header")
        guard headerBytes.count <= limits.maxHeaderBytes else {
            throw TokenError(.tokenTooLarge, "header is \(headerBytes.count) bytes, the limit is \(limits.maxHeaderBytes)")
        }
        let header: JSONValue
        do {
            header = try JSONParser.parse(headerBytes, maxDepth: limits.maxJSONDepth)
        } catch {
            throw TokenError(.malformedHeader, "header is not valid JSON: \(error)")
        }
        guard header.objectValue != nil else { throw TokenError(.malformedHeader, "header is not a JSON object") }
        let (kid, typ) = try checkHeader(header)
        guard !s.isEmpty else { throw TokenError(.malformedToken, "the signature segment is empty (unsigned tokens are not accepted)") }

        let payload = try decode(p, "payload")
        guard payload.count <= limits.maxPayloadBytes else {
            throw TokenError(.tokenTooLarge, "payload is \(payload.count) bytes, the limit is \(limits.maxPayloadBytes)")
        }
        let signature = try decode(s, "signature")
        return CompactJWS(
            keyID: kid, headerType: typ, header: header,
            signingInput: Array(bytes[0..<dots[1]]), payload: payload, signature: signature)
    }

    private static func decode(_ segment: ArraySlice<UInt8>, _ name: String) throws(TokenError) -> [UInt8] {
        do {
            return try Base64URL.decode(segment)
        } catch {
            throw TokenError(.malformedBase64URL, "\(name) segment: \(error)")
        }
    }

    /// The RFC 8725 header checks, in order, before any key is used.
    private static func checkHeader(_ header: JSONValue) throws(TokenError) -> (kid: String, typ: String?) {
        guard let algValue = header["alg"] else { throw TokenError(.algorithmNotAllowed, "header has no alg") }
        guard let alg = algValue.stringValue else { throw TokenError(.algorithmNotAllowed, "header alg is not a string") }
        guard alg == algorithm else {
            throw TokenError(.algorithmNotAllowed, "alg \(TokenError.quoted(alg)) is not allowed, only \(algorithm)")
        }
        if let crit = header["crit"] {
            let names =
                crit.stringList.map { $0.prefix(8).map { TokenError.quoted($0) }.joined(separator: ", ") } ?? "(not a list of names)"
            throw TokenError(.unsupportedCritical, "crit lists extensions this verifier does not understand: \(names)")
        }
        var typ: String?
        if let typValue = header["typ"] {
            guard let t = typValue.stringValue, acceptedHeaderTypes.contains(t.lowercased()) else {
                throw TokenError(
                    .headerType, "header typ \(typValue.stringValue.map { TokenError.quoted($0) } ?? "(not a string)") is not JWT or at+jwt"
                )
            }
            typ = t
        }
        guard let kidValue = header["kid"] else { throw TokenError(.missingKeyID, "header has no kid") }
        guard let kid = kidValue.stringValue, !kid.isEmpty else {
            throw TokenError(.missingKeyID, "header kid is not a non-empty string")
        }
        return (kid, typ)
    }
}
