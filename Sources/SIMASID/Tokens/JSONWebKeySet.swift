import RelayCore

/// The signing keys of one JWKS document (RFC 7517 §5), keyed by exact `kid`. Only RSA keys meant
/// for RS256 signatures are kept; every other key is recorded in `refused` with the reason, so a
/// token naming it is told why instead of "unknown kid", and one odd key never spoils the set.
struct JSONWebKeySet: Sendable {
    static let maxKeys = 64

    var keys: [String: RSAPublicKey] = [:]
    var refused: [String: TokenError] = [:]
    /// Keys without a `kid`: a token must name its key, so these can never be used.
    var withoutKeyID = 0

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ body: [UInt8]) throws(ParseError) -> JSONWebKeySet {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body, maxDepth: 8)
        } catch {
            throw ParseError(description: "JWKS is not valid JSON: \(error)")
        }
        guard let list = document["keys"]?.arrayValue else { throw ParseError(description: "JWKS has no \"keys\" array") }
        guard list.count <= maxKeys else { throw ParseError(description: "JWKS has \(list.count) keys, more than \(maxKeys)") }
        var set = JSONWebKeySet()
        var ambiguous: Set<String> = []
        for jwk in list {
            guard let kid = jwk["kid"]?.stringValue, !kid.isEmpty else {
                set.withoutKeyID += 1
                continue
            }
            switch key(from: jwk, kid: kid) {
            case .success(let key):
                if set.keys.updateValue(key, forKey: kid) != nil { ambiguous.insert(kid) }
                set.refused[kid] = nil
            case .failure(let error):
                if set.keys[kid] == nil { set.refused[kid] = error }
            }
        }
        // Two signing keys under one kid: which one a token meant is unknowable, so neither is used.
        for kid in ambiguous {
            set.keys[kid] = nil
            set.refused[kid] = TokenError(.keyNotUsable, "JWKS lists more than one signing key with kid \(TokenError.quoted(kid))")
        }
        return set
    }

    private static func key(from jwk: JSONValue, kid: String) -> Result<RSAPublicKey, TokenError> {
        let name = TokenError.quoted(kid)
        func refuse(_ why: String) -> Result<RSAPublicKey, TokenError> {
            .failure(TokenError(.keyNotUsable, "key \(name) in the JWKS is not usable: \(why)"))
        }
        guard let kty = jwk["kty"]?.stringValue else { return refuse("no kty") }
        guard kty == "RSA" else { return refuse("kty \(TokenError.quoted(kty)) is not RSA") }
        if let use = jwk["use"], use.stringValue != "sig" { return refuse("use \(use.jsonText.prefix(40)) is not sig") }
        if let alg = jwk["alg"], alg.stringValue != CompactJWS.algorithm {
            return refuse("alg \(alg.jsonText.prefix(40)) is not \(CompactJWS.algorithm)")
        }
        if let ops = jwk["key_ops"], !(ops.stringList ?? []).contains("verify") { return refuse("key_ops does not allow verify") }
        guard let n = jwk["n"]?.stringValue, let e = jwk["e"]?.stringValue else { return refuse("n or e missing") }
        let modulus: [UInt8], exponent: [UInt8]
        do {
            modulus = try Base64URL.decode(Array(n.utf8))
            exponent = try Base64URL.decode(Array(e.utf8))
        } catch {
            return refuse("n or e is not base64url: \(error)")
        }
        do {
            return .success(try RSAPublicKey(modulus: modulus, exponent: exponent))
        } catch {
            if case .tooSmall = error {
                return .failure(TokenError(.keyTooSmall, "key \(name) in the JWKS is refused: \(error)"))
            }
            return refuse("\(error)")
        }
    }
}
