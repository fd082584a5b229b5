import HTTPServer
import Outbox
import RelayCore
import SQEKYC

/// The KYC endpoints of the admin listener (authenticated there, like every admin request):
///
/// - `POST /v1/kyc`: validate a record and queue it through the outbox (sealed); answers
///   `{"id", "status"}` after the commit. The delivery workers store it in SQEKYC.
/// - `GET /v1/kyc?phone_number=62…`: read through to SQEKYC; the record as JSON, 404 when SQEKYC
///   has none, 502 `upstream_error` when SQEKYC fails.
///
/// `handle` returns nil for any other path, so `AdminHandler` can ask it first.
final class KYCAdminRoutes: Sendable {
    static let path = RouteTable.kycPath
    static let allow = "GET, POST"

    private let ingest: KYCIngest
    private let client: SQEKYCConfiguration
    private let clock: any WallClock
    private let logger: Logger

    init(ingest: KYCIngest, settings: SQEKYCSettings, clock: any WallClock, logger: Logger) {
        self.ingest = ingest
        self.client = settings.client
        self.clock = clock
        self.logger = logger
    }

    /// Whether `path` is a KYC endpoint.
    func owns(_ path: String) -> Bool { path == Self.path }

    /// Before the body is read: nil to go on, or the answer for a method we do not serve.
    func precheck(method: String) -> HTTPResponse? {
        ["GET", "HEAD", "POST"].contains(method) ? nil : Responses.error(.methodNotAllowed(allow: Self.allow))
    }

    /// The answer for a KYC request, or nil when the path is not ours. Blocking (commit wait,
    /// SQEKYC call): call it off the event loop, as `AdminHandler.handle` does.
    func handle(_ request: HTTPRequest, actor: String) -> HTTPResponse? {
        guard owns(request.path) else { return nil }
        do {
            switch request.method {
            case "POST":
                let r = try ingest.submitAndWait(body: request.body, actor: actor)
                return Responses.accepted(id: r.id, status: r.status.rawValue)
            case "GET", "HEAD":
                return try fetch(QueryString(request.query)["phone_number"], actor: actor)
            default:
                return Responses.error(.methodNotAllowed(allow: Self.allow))
            }
        } catch {
            return Responses.error(error)
        }
    }

    private func fetch(_ raw: String?, actor: String) throws(PartnerError) -> HTTPResponse {
        guard let raw else { throw PartnerError.invalidRequest("Parameter \"phone_number\" is required") }
        guard let phone = KYCRecord.normalizePhone(raw) else {
            throw PartnerError.invalidRequest("Parameter \"phone_number\" must be an Indonesian number: 62…, +62… or 08…")
        }
        let masked = Recipient.mask("+" + phone)
        // Admin reads are rare: a client per request (the connection is not kept between them).
        let sqekyc = SQEKYCClient(configuration: client, clock: clock)
        let record: KYCRecord?
        do {
            record = try sqekyc.fetch(phoneNumber: phone)
        } catch {
            logger.warning(
                "kyc fetch failed",
                [
                    "actor": .string(actor), "to": .string(masked),
                    "error": .string(error.description),
                ])
            throw error.partnerError
        }
        logger.info("kyc fetched", ["actor": .string(actor), "to": .string(masked), "found": .bool(record != nil)])
        guard let record else { throw PartnerError.notFound }
        return Responses.json(200, record.json)
    }
}

extension SQEKYCError {
    /// The one mapping of SQEKYC failures to the partner error shape for our own callers: every
    /// failure of SQEKYC (credentials included: ours, not the caller's) is a 502 `upstream_error`.
    var partnerError: PartnerError {
        switch classification {
        case .credentials: return .upstream("SQEKYC refused the configured credentials")
        case .retryable: return .upstream("SQEKYC is unavailable; retry later")
        case .permanent: return .upstream("SQEKYC refused the request (HTTP \(httpStatus.map(String.init) ?? "none"))")
        }
    }
}
