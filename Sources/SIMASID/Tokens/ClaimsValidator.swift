import RelayCore

/// The claim checks of the partner document and RFC 7519 §4.1 on a payload whose signature
/// already verified: `iss` exact, `aud` containing our client id, `azp` equal to it when required,
/// payload `typ` `Bearer` when present, `exp` required, `nbf` and `iat` within the leeway.
struct ClaimsValidator: Sendable {
    let issuer: String
    let clientID: String
    let requireAuthorizedParty: Bool
    let leewaySeconds: Int64
    let maxJSONDepth: Int

    init(_ c: TokenVerifierConfiguration) {
        issuer = c.issuer
        clientID = c.clientID
        requireAuthorizedParty = c.requireAuthorizedParty
        leewaySeconds = c.leewaySeconds
        maxJSONDepth = c.limits.maxJSONDepth
    }

    func validate(payload: [UInt8], keyID: String, nowMillis: Int64) throws(TokenError) -> VerifiedToken {
        let claims: JSONValue
        do {
            claims = try JSONParser.parse(payload, maxDepth: maxJSONDepth)
        } catch {
            throw TokenError(.malformedPayload, "claims are not valid JSON: \(error)")
        }
        guard claims.objectValue != nil else { throw TokenError(.malformedPayload, "claims are not a JSON object") }

        guard let iss = claims["iss"]?.stringValue else { throw TokenError(.issuer, "iss is missing or not a string") }
        guard iss == issuer else {
            throw TokenError(
                .issuer, "iss \(TokenError.quoted(iss, limit: 200)) is not the configured issuer \(TokenError.quoted(issuer, limit: 200))")
        }

        guard let audValue = claims["aud"] else { throw TokenError(.audience, "aud is missing") }
        guard let aud = audValue.stringList else { throw TokenError(.audience, "aud is neither a string nor an array of strings") }
        guard aud.contains(clientID) else {
            let shown = aud.prefix(8).map { TokenError.quoted($0) }.joined(separator: ", ")
            throw TokenError(.audience, "aud [\(shown)] does not contain our client id \(TokenError.quoted(clientID))")
        }

        let azp = try optionalString(claims, "azp", .authorizedParty)
        if requireAuthorizedParty {
            guard let azp else { throw TokenError(.authorizedParty, "azp is missing and is required") }
            guard azp == clientID else {
                throw TokenError(.authorizedParty, "azp \(TokenError.quoted(azp)) is not our client id \(TokenError.quoted(clientID))")
            }
        }

        if let typ = claims["typ"] {
            guard typ.stringValue == "Bearer" else {
                throw TokenError(
                    .tokenType,
                    "typ \(typ.stringValue.map { TokenError.quoted($0) } ?? "(not a string)") is not Bearer (not an access token)")
            }
        }

        guard let expValue = claims["exp"] else { throw TokenError(.missingExpiry, "exp is missing") }
        guard let exp = expValue.doubleValue, exp.isFinite else { throw TokenError(.missingExpiry, "exp is not a number") }
        try checkExpiry(exp, nowMillis: nowMillis)
        let nbf = try optionalNumber(claims, "nbf", .notYetValid)
        try checkNotBefore(nbf, nowMillis: nowMillis)
        let iat = try optionalNumber(claims, "iat", .issuedInFuture)
        try checkIssuedAt(iat, nowMillis: nowMillis)

        let sub = try optionalString(claims, "sub", .malformedPayload)
        return VerifiedToken(
            keyID: keyID, claims: claims, issuer: iss, audience: aud, subject: sub, authorizedParty: azp,
            expiresAt: exp, issuedAt: iat, notBefore: nbf)
    }

    /// The time checks alone, in `validate`'s order: for a token whose other checks passed
    /// before (a `VerifiedTokenCache` hit), judged again at `nowMillis`.
    func checkTimes(exp: Double, nbf: Double?, iat: Double?, nowMillis: Int64) throws(TokenError) {
        try checkExpiry(exp, nowMillis: nowMillis)
        try checkNotBefore(nbf, nowMillis: nowMillis)
        try checkIssuedAt(iat, nowMillis: nowMillis)
    }

    private func checkExpiry(_ exp: Double, nowMillis: Int64) throws(TokenError) {
        let now = Double(nowMillis) / 1000
        guard now < exp + Double(leewaySeconds) else {
            throw TokenError(.expired, "expired at \(Self.show(exp)), now is \(Self.show(now)) (leeway \(leewaySeconds) s)")
        }
    }

    private func checkNotBefore(_ nbf: Double?, nowMillis: Int64) throws(TokenError) {
        let now = Double(nowMillis) / 1000
        if let nbf, now + Double(leewaySeconds) < nbf {
            throw TokenError(.notYetValid, "not valid before \(Self.show(nbf)), now is \(Self.show(now)) (leeway \(leewaySeconds) s)")
        }
    }

    private func checkIssuedAt(_ iat: Double?, nowMillis: Int64) throws(TokenError) {
        let now = Double(nowMillis) / 1000
        if let iat, iat > now + Double(leewaySeconds) {
            throw TokenError(
                .issuedInFuture, "issued at \(Self.show(iat)), in the future: now is \(Self.show(now)) (leeway \(leewaySeconds) s)")
        }
    }

    private func optionalString(_ claims: JSONValue, _ name: String, _ check: TokenError.Check) throws(TokenError) -> String? {
        guard let v = claims[name] else { return nil }
        guard let s = v.stringValue else { throw TokenError(check, "\(name) is not a string") }
        return s
    }

    private func optionalNumber(_ claims: JSONValue, _ name: String, _ check: TokenError.Check) throws(TokenError) -> Double? {
        guard let v = claims[name] else { return nil }
        guard let d = v.doubleValue, d.isFinite else { throw TokenError(check, "\(name) is not a number") }
        return d
    }

    /// Whole seconds print without a fraction.
    private static func show(_ t: Double) -> String {
        t == t.rounded() && abs(t) < 1e15 ? String(Int64(t)) : String(t)
    }
}
