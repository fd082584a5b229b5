import RelayCore
import SIMASID

extension RelayService {
    /// The admin API's bearer check: a SIMAS-ID access token that verifies and whose holder the
    /// policy allows (listed subject or required role).
    static func bearerCheck(_ settings: SIMASIDSettings?, logger: Logger) -> AdminAuthorizer.BearerCheck? {
        guard let settings else { return nil }
        let verifier = TokenVerifier(configuration: settings.verifier, transport: HTTPClientTokenTransport(), logger: logger)
        let policy = settings.policy
        return { token in
            switch policy.check(token, with: verifier) {
            case .success(let t): return .allowed(subject: t.subject ?? "unknown")
            case .failure(let e):
                logger.info("admin token refused", ["check": .string(e.check.rawValue)])
                return e.isForbidden ? .forbidden : .invalid
            }
        }
    }
}
