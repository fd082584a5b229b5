import Foundation
import HTTPServer
import RelayCore

/// Who may use the admin API: admin BasicAuth credentials, or a bearer token accepted by the
/// configured token check (SIMAS-ID access tokens). Failed attempts are throttled per client address;
/// valid credentials are never refused.
struct AdminAuthorizer: Sendable {
    struct Decision {
        let actor: String?
        /// A valid token whose holder is not allowed (403 rather than 401).
        var forbidden = false
        var isAllowed: Bool { actor != nil }
    }

    enum BearerResult { case allowed(subject: String), invalid, forbidden }

    /// Checks a bearer token (may block on a JWKS fetch: never call it on an event loop).
    typealias BearerCheck = @Sendable (String) -> BearerResult

    let basic: BasicAuthenticator
    let bearer: BearerCheck?
    /// Failed attempts: 401, or 429 once the client address failed too often.
    let throttle: FailedAuthThrottle

    init(
        basic: BasicAuthenticator, bearer: BearerCheck?, failedAuth: SlidingWindowLimiter<String>, clientAddress: ClientAddress,
        monotonic: any MonotonicClock, logger: Logger
    ) {
        self.basic = basic
        self.bearer = bearer
        self.throttle = FailedAuthThrottle(failedAuth: failedAuth, clientAddress: clientAddress, clock: monotonic, logger: logger)
    }

    /// Whether the request carries a bearer token this listener checks (off the event loop).
    func hasBearer(_ head: HTTPRequestHead) -> Bool {
        guard bearer != nil, let h = head.headers.first("Authorization") else { return false }
        return h.utf8.count > 7 && h.prefix(7).lowercased() == "bearer "
    }

    /// BasicAuth only: cheap, safe on the event loop.
    func authorizeBasic(_ head: HTTPRequestHead) -> Decision {
        Decision(actor: basic.authenticate(authorizationHeader: head.headers.first("Authorization")))
    }

    /// BasicAuth, then a bearer token when configured (may block).
    func authorize(_ head: HTTPRequestHead) -> Decision {
        let d = authorizeBasic(head)
        guard !d.isAllowed, hasBearer(head), let bearer, let h = head.headers.first("Authorization") else { return d }
        switch bearer(String(h.dropFirst(7)).trimmingCharacters(in: .whitespaces)) {
        case .allowed(let sub): return Decision(actor: "token:\(sub)")
        case .forbidden: return Decision(actor: nil, forbidden: true)
        case .invalid: return Decision(actor: nil)
        }
    }

    /// 401 (with the challenge), 403 for a valid token without the right, or 429 once the address
    /// failed too often.
    func denial(_ head: HTTPRequestHead, forbidden: Bool = false) -> HTTPResponse {
        if forbidden { return Responses.error(.forbidden("The token is valid but not allowed to use the admin API")) }
        return throttle.refuse(head, scope: "admin", logPath: true)
    }
}
