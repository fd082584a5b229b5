import Foundation
import HTTPServer
import Outbox
import RelayCore

/// The admin listener: jobs, replay, stats, metrics, readiness and the status page. Every request
/// is authenticated (admin BasicAuth, or a SIMAS-ID bearer token when configured); none is anonymous.
final class AdminHandler: HTTPHandler {
    private let authorizer: AdminAuthorizer
    private let store: any JobOperationsStore & JobStatisticsStore & JobReceiptReader
    private let replayer: Replayer
    private let clock: any WallClock
    private let logger: Logger
    private let health: @Sendable () -> HealthReport
    private let metricsText: @Sendable () -> String
    private let statusPage: @Sendable () -> String
    private let kyc: KYCAdminRoutes?

    init(
        authorizer: AdminAuthorizer, store: any JobOperationsStore & JobStatisticsStore & JobReceiptReader, clock: any WallClock,
        logger: Logger,
        health: @escaping @Sendable () -> HealthReport, metricsText: @escaping @Sendable () -> String,
        statusPage: @escaping @Sendable () -> String, kyc: KYCAdminRoutes? = nil
    ) {
        self.authorizer = authorizer
        self.store = store
        self.replayer = Replayer(store: store, clock: clock)
        self.clock = clock
        self.logger = logger
        self.health = health
        self.metricsText = metricsText
        self.statusPage = statusPage
        self.kyc = kyc
    }

    /// BasicAuth is decided here, before the body is read; a bearer token is checked in `handle`,
    /// off the event loop, because it may need a JWKS fetch.
    func head(_ head: HTTPRequestHead) -> HTTPResponse? {
        if authorizer.hasBearer(head) { return nil }
        guard authorizer.authorizeBasic(head).isAllowed else { return authorizer.denial(head) }
        if let kyc, kyc.owns(head.path) { return kyc.precheck(method: head.method) }
        switch AdminRoute(method: head.method, path: head.path) {
        case nil: return Responses.error(.notFound)
        case .methodNotAllowed(let allow): return Responses.error(.methodNotAllowed(allow: allow))
        default: return nil
        }
    }

    func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        // Admin calls read the database and may be slow: keep them off the event loop.
        DispatchQueue.global().async { [self] in
            let decision = authorizer.authorize(request.head)
            guard decision.isAllowed else {
                respond(authorizer.denial(request.head, forbidden: decision.forbidden))
                return
            }
            respond(self.answer(request, actor: decision.actor ?? "unknown"))
        }
    }

    func rejection(_ rejection: HTTPRejection) -> HTTPResponse { Responses.rejection(rejection) }

    private func answer(_ request: HTTPRequest, actor: String) -> HTTPResponse {
        if let r = kyc?.handle(request, actor: actor) { return r }
        let query = QueryString(request.head.query)
        do {
            switch AdminRoute(method: request.method, path: request.path) {
            case .jobs:
                return Responses.json(200, JobJSON.list(try store.jobs(matching: try filter(query))))
            case .job(let id):
                guard let j = try store.job(id: id) else { return Responses.error(.notFound) }
                return Responses.json(
                    200, JobJSON.jobWithAttempts(j, try store.attempts(jobID: id), receipts: try store.receipts(jobID: id)))
            case .replayOne(let id):
                let body = try JSONBody(request.body)
                let reason = try body.requiredString("reason")
                let s = try replayer.replay(ids: [id], actor: actor, reason: reason, dryRun: try body.bool("dry_run") ?? false)
                logger.info("replay", ["actor": .string(actor), "job_id": .string(id), "replayed": .int(Int64(s.replayed.count))])
                if !s.notFound.isEmpty { return Responses.error(.notFound) }
                if !s.expired.isEmpty { return Responses.error(.conflict("The OTP has expired; it will not be replayed")) }
                if !s.notDead.isEmpty { return Responses.error(.conflict("Only dead jobs can be replayed")) }
                return Responses.json(200, s.json)
            case .replayMany:
                let body = try JSONBody(request.body)
                let reason = try body.requiredString("reason")
                var f = try filter(QueryString(pairs: body.strings(Self.filterFields, numbers: ["limit"])))
                if let st = body.string("status"), st != "dead" {
                    throw PartnerError.invalidRequest("Field \"status\": only dead jobs can be replayed")
                }
                f.status = .dead
                let s = try replayer.replay(matching: f, actor: actor, reason: reason, dryRun: try body.bool("dry_run") ?? false)
                logger.info(
                    "bulk replay",
                    [
                        "actor": .string(actor), "matched": .int(Int64(s.matched)),
                        "replayed": .int(Int64(s.replayed.count)), "dry_run": .bool(s.dryRun),
                    ])
                return Responses.json(200, s.json)
            case .stats:
                return Responses.json(200, try StatsJSON.render(store: store, now: clock.nowMillis()))
            case .metrics:
                return HTTPResponse(
                    status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                    body: Array(metricsText().utf8))
            case .readyz:
                let h = health()
                return Responses.json(h.ready ? 200 : 503, h.json)
            case .statusPage:
                return HTTPResponse(
                    status: 200,
                    headers: [
                        ("Content-Type", "text/html; charset=utf-8"),
                        ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
                        ("Cache-Control", "no-store"),
                    ],
                    body: Array(statusPage().utf8))
            case .methodNotAllowed(let allow):
                return Responses.error(.methodNotAllowed(allow: allow))
            case nil:
                return Responses.error(.notFound)
            }
        } catch let e as PartnerError {
            return Responses.error(e)
        } catch let e as OutboxError {
            logger.error("admin store error", ["error": .string(e.description)])
            return Responses.error(e.code == .unavailable ? .unavailable(retryAfterSeconds: 1, reason: e.description) : .unexpected)
        } catch {
            logger.error("admin error", ["error": .string(String(describing: type(of: error)))])
            return Responses.error(.unexpected)
        }
    }

    /// The filter's parameters (`GET /v1/jobs` query, bulk replay body).
    static let filterFields = ["status", "channel", "kind", "since", "until", "before", "limit"]

    private func filter(_ q: QueryString) throws -> JobFilter {
        var f = JobFilter()
        let now = clock.nowMillis()
        if let s = q["status"] {
            guard let st = JobStatus(rawValue: s) else {
                throw PartnerError.invalidRequest(
                    "Parameter \"status\" must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            f.status = st
        }
        if let c = q["channel"] {
            guard Channel(rawValue: c) != nil || c == kycChannelName else {
                throw PartnerError.invalidRequest("Parameter \"channel\" must be email, sms, whatsapp or sqekyc")
            }
            f.channel = c
        }
        if let k = q["kind"] {
            guard let kind = JobKind(rawValue: k) else { throw PartnerError.invalidRequest("Parameter \"kind\" must be otp or kyc") }
            f.kind = kind
        }
        if let s = q["since"] {
            guard let t = TimeExpression.parse(s, now: now) else {
                throw PartnerError.invalidRequest("Parameter \"since\" must be a duration (15m, 1h), an ISO 8601 time or epoch ms")
            }
            f.createdFrom = t
        }
        if let s = q["until"] {
            guard let t = TimeExpression.parse(s, now: now) else {
                throw PartnerError.invalidRequest("Parameter \"until\" must be a duration (15m, 1h), an ISO 8601 time or epoch ms")
            }
            f.createdBefore = t
        }
        if let b = q["before"] { f.beforeID = b }
        if let l = q["limit"] {
            guard let n = Int(l), (1...1000).contains(n) else { throw PartnerError.invalidRequest("Parameter \"limit\" must be 1 to 1000") }
            f.limit = n
        }
        return f
    }
}
