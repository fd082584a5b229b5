import RelayCore

/// What SIMAS-ID's userinfo endpoint said about a token's holder.
public struct UserinfoClaims: Sendable, Equatable {
    /// The whole response object.
    public let claims: JSONValue
    /// `sub`, always present (OIDC Core §5.3.2).
    public let subject: String

    public var preferredUsername: String? { claims["preferred_username"]?.stringValue }
    public var emailVerified: Bool? { claims["email_verified"]?.boolValue }
}

/// The slower alternative to local validation from the partner document:
/// `GET {base}/v1/oidc/userinfo` with `Authorization: Bearer`. SIMAS-ID decides; we map its
/// answer: 200 claims, 401 invalid token, 403 `insufficient_scope`, anything else unavailable.
public final class UserinfoClient: Sendable {
    public static let maxBodyBytes = 64 << 10

    public let url: String
    private let transport: any TokenHTTPTransport
    private let limits: TokenLimits

    public init(url: String, transport: any TokenHTTPTransport, limits: TokenLimits = TokenLimits()) {
        self.url = url
        self.transport = transport
        self.limits = limits
    }

    public convenience init(environment: SIMASIDEnvironment, transport: any TokenHTTPTransport) {
        self.init(url: environment.userinfoURL, transport: transport)
    }

    /// Asks SIMAS-ID about `token`; one network round trip per call, nothing cached.
    public func fetch(_ token: String) -> Result<UserinfoClaims, TokenError> {
        guard token.utf8.count <= limits.maxTokenBytes else {
            return .failure(TokenError(.tokenTooLarge, "token is \(token.utf8.count) bytes, the limit is \(limits.maxTokenBytes)"))
        }
        // A bearer token is token68 (RFC 6750 §2.1); anything else never reaches a header.
        guard !token.isEmpty, token.utf8.allSatisfy(Self.isToken68) else {
            return .failure(TokenError(.malformedToken, "token has characters a bearer token cannot have"))
        }
        let response: TokenHTTPResponse
        do {
            response = try transport.get(
                url,
                headers: [
                    (name: "Authorization", value: "Bearer " + token),
                    (name: "Accept", value: "application/json"),
                ])
        } catch {
            return .failure(TokenError(.userinfoUnavailable, "userinfo request to \(url) failed: \(error)"))
        }
        let challenge = BearerChallenge(response.header("WWW-Authenticate"))
        switch response.status {
        case 200:
            return parse(response.body)
        case 401:
            return .failure(TokenError(.userinfoUnauthorized, "SIMAS-ID userinfo answered 401: the token is not valid\(challenge.summary)"))
        case 403 where challenge.error == "insufficient_scope":
            return .failure(
                TokenError(
                    .insufficientScope,
                    "SIMAS-ID userinfo answered 403 insufficient_scope: the token lacks the scope userinfo needs "
                        + "(openid)\(challenge.summary)"
                ))
        case 403:
            return .failure(TokenError(.userinfoForbidden, "SIMAS-ID userinfo answered 403\(challenge.summary)"))
        default:
            return .failure(TokenError(.userinfoUnavailable, "SIMAS-ID userinfo answered HTTP \(response.status)"))
        }
    }

    private func parse(_ body: [UInt8]) -> Result<UserinfoClaims, TokenError> {
        guard body.count <= Self.maxBodyBytes else {
            return .failure(TokenError(.userinfoUnavailable, "userinfo body of \(body.count) bytes is over the limit"))
        }
        guard let claims = try? JSONParser.parse(body, maxDepth: limits.maxJSONDepth), claims.objectValue != nil else {
            return .failure(TokenError(.userinfoUnavailable, "userinfo answered 200 without a JSON object"))
        }
        guard let sub = claims["sub"]?.stringValue, !sub.isEmpty else {
            return .failure(TokenError(.userinfoUnavailable, "userinfo answered 200 without a sub"))
        }
        return .success(UserinfoClaims(claims: claims, subject: sub))
    }

    /// RFC 7235 token68 characters, which a bearer token is made of.
    static func isToken68(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"),
            UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }
}
