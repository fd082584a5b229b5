import HTTPServer
import RelayCore
import SIMASID

/// `POST /v1/auth/introspect` (RFC 7662): a backend that prefers to ask sends
/// `token=…` as `application/x-www-form-urlencoded` with BasicAuth credentials of its own
/// (`auth_gateway.introspection_credentials`) and gets `{"active": false}` or
/// `{"active": true, "sub", "username", "client_id", "exp", "iat", "iss", "aud", "token_type"}`.
/// A token that cannot be judged now (keys or userinfo unavailable) is a 503, not "inactive".
struct IntrospectionEndpoint: Sendable {
    let callers: BasicAuthenticator
    let failedAuth: SlidingWindowLimiter<String>
    let clientAddress: ClientAddress
    /// The failed-auth window runs on it.
    let monotonic: any MonotonicClock
    let logger: Logger

    /// On the event loop, before the body is read: method, caller credentials, media type.
    func precheck(_ head: HTTPRequestHead) -> HTTPResponse? {
        guard head.method == "POST" else { return Responses.error(.methodNotAllowed(allow: "POST")) }
        guard callers.authenticate(authorizationHeader: head.headers.first("Authorization")) != nil else {
            let client = clientAddress.resolve(head)
            let d = failedAuth.record(client, now: monotonic.elapsedMillis())
            guard d.allowed else { return Responses.error(.rateLimited(retryAfterSeconds: d.retryAfterSeconds)) }
            logger.info("introspection auth failed", ["client": .string(client)])
            return Responses.error(.unauthorized)
        }
        let type = head.headers.first("Content-Type")?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/x-www-form-urlencoded" else {
            return Responses.error(.invalidRequest("Content-Type must be application/x-www-form-urlencoded"))
        }
        return nil
    }

    /// The answer for a request that passed `precheck` (may block on the token check).
    func answer(_ request: HTTPRequest, gate: any TokenGate) -> (HTTPResponse, AuthGatewayMetrics.Result, String) {
        let form = QueryString(String(decoding: request.body, as: UTF8.self))
        guard let token = form["token"] else {
            return (Responses.error(.invalidRequest("Parameter \"token\" is required")), .denied, "missing_token")
        }
        guard token.utf8.count <= TokenLimits.defaultMaxTokenBytes, token.utf8.allSatisfy(BearerToken.isToken68) else {
            return (Responses.json(200, #"{"active":false}"#), .denied, "malformed_token")
        }
        switch gate.checkWithoutWaiting(token) ?? gate.check(token) {
        case .failure(let e) where e.isUnavailable:
            logger.warning("introspection cannot judge tokens", ["check": .string(e.check.rawValue)])
            return (GatewayResponses.refused(e), .unavailable, e.check.rawValue)
        case .failure(let e):
            return (Responses.json(200, #"{"active":false}"#), .denied, e.check.rawValue)
        case .success(let identity):
            return (Responses.json(200, Self.activeJSON(identity)), .allowed, "valid")
        }
    }

    static func activeJSON(_ i: GatewayIdentity) -> String {
        var members = [#""active":true"#]
        func add(_ name: String, _ value: String?) {
            if let value { members.append("\(JSONText.quote(name)):\(JSONText.quote(value))") }
        }
        add("sub", i.subject)
        add("username", i.username)
        add("client_id", i.client)
        if let exp = i.expiresAt { members.append("\"exp\":\(exp)") }
        if let iat = i.issuedAt { members.append("\"iat\":\(iat)") }
        add("iss", i.issuer)
        members.append("\"aud\":[" + i.audience.map(JSONText.quote).joined(separator: ",") + "]")
        add("token_type", "Bearer")
        return "{" + members.joined(separator: ",") + "}"
    }
}
