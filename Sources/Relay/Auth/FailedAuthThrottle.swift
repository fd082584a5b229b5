import HTTPServer
import RelayCore

/// The answer to a failed authentication, the same on the webhook and on the admin API: 401, or 429
/// once the client address has failed too often; each logged through a SecurityEventLog (the first
/// per client per window in full, then a summary). Valid credentials never come here, so throttling
/// cannot lock a legitimate client out.
struct FailedAuthThrottle: Sendable {
    let failedAuth: SlidingWindowLimiter<String>
    let clientAddress: ClientAddress
    /// Windows and log intervals run on it (a wall step must not reset or stretch them).
    let clock: any MonotonicClock
    let logger: Logger
    /// Failed and throttled attempts: the first per client per window in full, then a summary.
    let securityLog: SecurityEventLog

    init(failedAuth: SlidingWindowLimiter<String>, clientAddress: ClientAddress, clock: any MonotonicClock, logger: Logger) {
        self.failedAuth = failedAuth
        self.clientAddress = clientAddress
        self.clock = clock
        self.logger = logger
        self.securityLog = SecurityEventLog(logger: logger, intervalMillis: failedAuth.windowMillis)
    }

    /// Records the failure of `head` and answers it. `scope` names the listener in the events
    /// ("webhook auth failed", "admin auth throttled"); `logPath` adds the first 64 characters of
    /// the path to the failure event.
    /// `refusal` is the answer below the threshold (401; receipts with a bad signature get 403).
    func refuse(
        _ head: HTTPRequestHead, scope: String, logPath: Bool = false, refusal: PartnerError = .unauthorized
    ) -> HTTPResponse {
        let client = clientAddress.resolve(head)
        let now = clock.elapsedMillis()
        let decision = failedAuth.record(client, now: now)
        guard decision.allowed else {
            let event = "\(scope) auth throttled"
            securityLog.note(event, key: client, now: now) {
                logger.warning(event, ["client": .string(client)])
            }
            return Responses.error(.rateLimited(retryAfterSeconds: decision.retryAfterSeconds))
        }
        let event = "\(scope) auth failed"
        securityLog.note(event, key: client, now: now) {
            if logPath {
                logger.info(event, ["client": .string(client), "path": .string(String(head.path.prefix(64)))])
            } else {
                logger.info(event, ["client": .string(client)])
            }
        }
        return Responses.error(refusal)
    }
}
