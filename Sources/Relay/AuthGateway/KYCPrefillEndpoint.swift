import Foundation
import HTTPServer
import RelayCore
import SIMASID
import SQEKYC
import Synchronization

/// `GET /v1/me/kyc`: the partner document's KYC pre-fill, asked for by the user's own app with
/// the user's SIMAS-ID access token. The phone number comes only from the verified token
/// (`preferred_username`); the query string and every other header are ignored, so a caller can
/// read no one's record but their own. SQEKYC's record is answered as it comes (404 when it has
/// none), never cached here and sent `Cache-Control: no-store`; calls are limited per subject;
/// logs name the outcome only (no subject, no phone number, no field of the record).
final class KYCPrefillEndpoint: Sendable {
    private let settings: SQEKYCSettings
    private let perSubject: SlidingWindowLimiter<String>
    private let clock: any WallClock
    /// The per-subject window runs on it.
    private let monotonic: any MonotonicClock
    private let logger: Logger
    /// Idle SQEKYC clients (one per thread at a time, each keeping its connection warm).
    private let idle = Mutex<[Confined]>([])
    private static let maxIdle = 4

    /// A client held by one thread at a time, handed over under `idle`.
    private final class Confined: @unchecked Sendable {
        let client: SQEKYCClient
        init(_ client: SQEKYCClient) { self.client = client }
    }

    init(
        settings: SQEKYCSettings, perSubjectMax: Int, window: Duration, maxKeys: Int, clock: any WallClock,
        monotonic: any MonotonicClock, logger: Logger
    ) {
        self.settings = settings
        self.perSubject = SlidingWindowLimiter(max: perSubjectMax, window: window, maxKeys: maxKeys)
        self.clock = clock
        self.monotonic = monotonic
        self.logger = logger
    }

    func answer(_ request: HTTPRequest, gate: any TokenGate) -> (HTTPResponse, AuthGatewayMetrics.Result, String) {
        let token: String
        switch BearerToken.extract(request.headers) {
        case .missing: return (GatewayResponses.missingToken(), .denied, "missing_token")
        case .malformed(let why): return (GatewayResponses.malformedAuthorization(why), .denied, "malformed_authorization")
        case .token(let t): token = t
        }
        let identity: GatewayIdentity
        switch gate.checkWithoutWaiting(token) ?? gate.check(token) {
        case .failure(let e):
            return (GatewayResponses.refused(e), e.isUnavailable ? .unavailable : e.isForbidden ? .forbidden : .denied, e.check.rawValue)
        case .success(let i):
            identity = i
        }
        guard let username = identity.username, let phone = KYCRecord.normalizePhone(username) else {
            return (notFound("the token carries no phone number"), .denied, "no_phone_in_token")
        }
        let d = perSubject.record(identity.subject ?? phone, now: monotonic.elapsedMillis())
        guard d.allowed else { return (Responses.error(.rateLimited(retryAfterSeconds: d.retryAfterSeconds)), .limited, "rate_limited") }

        let held = idle.withLock { $0.popLast() } ?? Confined(SQEKYCClient(configuration: settings.client, clock: clock))
        defer {
            held.client.releaseThread()  // the next caller to take it may be another thread
            idle.withLock { if $0.count < Self.maxIdle { $0.append(held) } }
        }
        do {
            guard let record = try held.client.fetch(phoneNumber: phone) else {
                logger.info("kyc prefill", ["outcome": "not_found"])
                return (notFound("SQEKYC has no record for this user"), .allowed, "not_found")
            }
            // Belt and braces: a record for another number is never handed on.
            guard KYCRecord.normalizePhone(record.phoneNumber) == phone else {
                logger.warning("kyc prefill: SQEKYC answered a record for another phone number; not returned")
                return (Responses.error(.upstream("SQEKYC answered a record that does not match")), .unavailable, "record_mismatch")
            }
            logger.info("kyc prefill", ["outcome": "found"])
            var r = Responses.json(200, "{\"data\":\(record.json)}")
            r.headers.append(("Pragma", "no-cache"))
            return (r, .allowed, "found")
        } catch {
            logger.warning("kyc prefill: SQEKYC call failed", ["error": .string(error.description)])
            switch error.classification {
            case .retryable:
                return (
                    Responses.error(.unavailable(retryAfterSeconds: 5, reason: "SQEKYC unavailable")), .unavailable, "sqekyc_unavailable"
                )
            case .credentials, .permanent:
                return (Responses.error(.upstream("SQEKYC refused the request")), .unavailable, "sqekyc_refused")
            }
        }
    }

    private func notFound(_ why: String) -> HTTPResponse {
        Responses.json(404, "{\"error\":\"not_found\",\"error_description\":\(JSONText.quote(why))}")
    }
}
