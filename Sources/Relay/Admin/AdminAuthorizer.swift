import HTTPServer
import RelayCore

/// Who may use the admin API: admin BasicAuth credentials, or a bearer token accepted by the
/// configured token check (SIMAS-ID access tokens). Failed attempts are throttled per client address;
/// valid credentials are never refused.
struct AdminAuthorizer: Sendable {
    struct Decision {
        let actor: String?
        var isAllowed: Bool { actor != nil }
    }

    /// Checks a bearer token; returns the subject to record as the actor, or nil.
    typealias BearerCheck = @Sendable (String) -> String?

    let basic: BasicAuthenticator
    let bearer: BearerCheck?
    let failedAuth: SlidingWindowLimiter
    let clientAddress: ClientAddress
    let clock: any Clock
    let logger: Logger

    func authorize(_ head: HTTPRequestHead) -> Decision {
        let header = head.headers.first("Authorization")
        if let user = basic.authenticate(authorizationHeader: header) { return Decision(actor: user) }
        if let bearer, let h = header, h.utf8.count > 7, h.prefix(7).lowercased() == "bearer " {
            if let sub = bearer(String(h.dropFirst(7)).trimmingCharacters(in: .whitespaces)) { return Decision(actor: "token:\(sub)") }
        }
        return Decision(actor: nil)
    }

    /// 401 (with the challenge) or 429 once the address failed too often.
    func denial(_ head: HTTPRequestHead) -> HTTPResponse {
        let client = clientAddress.resolve(head)
        let d = failedAuth.record(client, now: clock.nowMillis())
        guard d.allowed else { return Responses.error(.rateLimited(retryAfterSeconds: d.retryAfterSeconds)) }
        logger.info("admin auth failed", ["client": .string(client), "path": .string(String(head.path.prefix(64)))])
        return Responses.error(.unauthorized)
    }
}

import Foundation
