import HTTPServer
import SIMASID

/// The auth listener's answers (RFC 6750 §3): `200` with the `X-Auth-*` headers, `401` with
/// `WWW-Authenticate: Bearer realm="simas-id", error="invalid_token", error_description="…"`,
/// `403` `insufficient_scope`, `503` when keys or userinfo are unavailable. A description names the
/// failed check in fixed words: never the token, never a claim value.
enum GatewayResponses {
    static let realm = "simas-id"

    static func allowed(_ identity: GatewayIdentity) -> HTTPResponse {
        HTTPResponse(status: 200, headers: identity.headers + [("Cache-Control", "no-store")])
    }

    /// No `Authorization: Bearer` at all: a challenge without an error code (RFC 6750 §3.1).
    static func missingToken() -> HTTPResponse {
        HTTPResponse(
            status: 401,
            headers: [("WWW-Authenticate", "Bearer realm=\"\(realm)\""), ("Cache-Control", "no-store")] + jsonType,
            body: Array(#"{"error":"invalid_token","error_description":"no bearer token"}"#.utf8))
    }

    static func refused(_ e: TokenError) -> HTTPResponse {
        if e.isUnavailable {
            return HTTPResponse(
                status: 503, headers: [("Retry-After", "5"), ("Cache-Control", "no-store")] + jsonType,
                body: Array(#"{"error":"temporarily_unavailable","error_description":"token keys or userinfo unavailable"}"#.utf8))
        }
        let forbidden = e.isForbidden
        return challenge(
            status: forbidden ? 403 : 401, error: forbidden ? "insufficient_scope" : "invalid_token",
            description: description(e.check))
    }

    /// A 401 or 403 with its challenge, the same words in a small JSON body.
    static func challenge(status: Int, error: String, description: String) -> HTTPResponse {
        let value = "Bearer realm=\"\(realm)\", error=\"\(error)\", error_description=\"\(description)\""
        return HTTPResponse(
            status: status, headers: [("WWW-Authenticate", value), ("Cache-Control", "no-store")] + jsonType,
            body: Array("{\"error\":\"\(error)\",\"error_description\":\"\(description)\"}".utf8))
    }

    static func insufficientRole() -> HTTPResponse {
        challenge(status: 403, error: "insufficient_scope", description: "role: the token lacks a role this path requires")
    }

    static func unreadablePath() -> HTTPResponse {
        challenge(status: 403, error: "insufficient_scope", description: "path: the original URI cannot be judged")
    }

    static func malformedAuthorization(_ why: String) -> HTTPResponse {
        challenge(status: 401, error: "invalid_token", description: "authorization: \(why)")
    }

    static let jsonType = [("Content-Type", "application/json")]

    /// `check: words`. Only these fixed texts reach a header (no quote, no backslash).
    static func description(_ c: TokenError.Check) -> String {
        c.rawValue + ": " + (words[c] ?? "the token was refused")
    }

    private static let words: [TokenError.Check: String] = [
        .tokenTooLarge: "the token is too large",
        .malformedToken: "the token is not a compact JWS",
        .malformedBase64URL: "a token segment is not valid base64url",
        .malformedHeader: "the token header is not a JSON object",
        .malformedPayload: "the token claims are not a JSON object",
        .algorithmNotAllowed: "the signing algorithm is not allowed, only RS256",
        .unsupportedCritical: "the token has critical header extensions",
        .headerType: "the token header typ is not JWT or at+jwt",
        .missingKeyID: "the token header has no kid",
        .unknownKeyID: "the signing key is not in the issuer key set",
        .keyTooSmall: "the signing key is too small",
        .keyNotUsable: "the signing key is not an RS256 signing key",
        .signatureInvalid: "the signature does not verify",
        .issuer: "the issuer is not the configured one",
        .audience: "the audience does not contain this client",
        .authorizedParty: "the authorized party is not this client",
        .missingExpiry: "the token has no valid exp",
        .expired: "the token has expired",
        .notYetValid: "the token is not valid yet",
        .issuedInFuture: "the token was issued in the future",
        .tokenType: "the token is not an access token",
        .userinfoUnauthorized: "SIMAS-ID userinfo did not accept the token",
        .insufficientScope: "SIMAS-ID userinfo needs a scope the token lacks",
        .userinfoForbidden: "SIMAS-ID userinfo refused the token",
        .notAuthorized: "the token lacks a role this path requires",
    ]
}
