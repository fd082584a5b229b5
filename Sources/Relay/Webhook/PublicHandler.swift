import Foundation
import HTTPServer
import RelayCore
import Synchronization

/// The public listener: `POST /v1/webhooks/otp`, `GET /healthz`, and the delivery receipt
/// endpoints (`/v1/receipts/…`, `ReceiptEndpoints`) when a provider sends receipts.
/// Routing, authentication, throttling and media type are decided from the head alone, so an
/// unauthenticated client never gets its body read.
final class PublicHandler: HTTPHandler {
    static let webhookPath = RouteTable.webhookPath

    private let authenticator: BasicAuthenticator
    /// Failed attempts: 401, or 429 once the client address failed too often.
    private let throttle: FailedAuthThrottle
    private let ingest: OTPIngest
    /// Failed and throttled attempts: the first per client per window in full, then a summary.
    var securityLog: SecurityEventLog { throttle.securityLog }
    private let metrics: RelayMetrics
    private let draining = Atomic<Bool>(false)
    private let requestIDs = RequestIDs()
    /// The receipt endpoints; nil when no provider sends receipts.
    let receipts: ReceiptEndpoints?
    /// The webhook's own body limit (the listener's may be raised to 64 KiB for receipts).
    private let webhookMaxBody: Int?

    init(
        authenticator: BasicAuthenticator, failedAuth: SlidingWindowLimiter<String>, clientAddress: ClientAddress,
        ingest: OTPIngest, monotonic: any MonotonicClock, logger: Logger, metrics: RelayMetrics,
        receipts: ((FailedAuthThrottle) -> ReceiptEndpoints?)? = nil, webhookMaxBody: Int? = nil
    ) {
        self.metrics = metrics
        self.authenticator = authenticator
        self.ingest = ingest
        self.throttle = FailedAuthThrottle(failedAuth: failedAuth, clientAddress: clientAddress, clock: monotonic, logger: logger)
        self.receipts = receipts?(throttle)
        self.webhookMaxBody = webhookMaxBody
    }

    /// From now on new webhook requests get 503 (shutting down).
    func startDraining() { draining.store(true, ordering: .relaxed) }
    var isDraining: Bool { draining.load(ordering: .relaxed) }

    func head(_ head: HTTPRequestHead) -> HTTPResponse? {
        if let receipts, head.path.hasPrefix(ReceiptEndpoints.prefix) { return receipts.head(head) }
        guard let refusal = decide(head) else { return nil }
        if refusal.status != 200 { metrics.rejected(Self.code(refusal)) }
        return refusal
    }

    private static func code(_ r: HTTPResponse) -> String {
        PartnerError.code(forStatus: r.status)
    }

    private func decide(_ head: HTTPRequestHead) -> HTTPResponse? {
        switch RouteTable.match(.public, head.path)?.route.id {
        case .webhook:
            guard head.method == "POST" else { return Responses.error(.methodNotAllowed(allow: "POST")) }
        case .healthz:
            guard head.method == "GET" || head.method == "HEAD" else { return Responses.error(.methodNotAllowed(allow: "GET, HEAD")) }
            return Responses.json(200, "{\"status\":\"ok\"}")
        default:
            return Responses.error(.notFound)
        }
        if let limit = webhookMaxBody, (head.contentLength ?? 0) > limit { return Responses.error(.payloadTooLarge, close: true) }
        if let denied = authenticate(head) { return denied }
        if let ct = head.headers.first("Content-Type"), !Self.isJSON(ct) {
            return Responses.error(.unsupportedMediaType)
        }
        if draining.load(ordering: .relaxed) {
            return Responses.error(.unavailable(retryAfterSeconds: 1, reason: "shutting down"), close: true)
        }
        return nil
    }

    func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        if let receipts, request.path.hasPrefix(ReceiptEndpoints.prefix) { return receipts.handle(request, respond: respond) }
        let rid = requestIDs.next()
        ingest.submit(body: request.body, requestID: rid, executor: request.executor) { result in
            var response: HTTPResponse
            switch result {
            case .success(let accepted): response = Responses.accepted(id: accepted.id, status: accepted.status)
            case .failure(let error): response = Responses.error(error)
            }
            response.headers.append(("X-Request-Id", rid))
            respond(response)
        }
    }

    func rejection(_ rejection: HTTPRejection) -> HTTPResponse {
        let r = Responses.rejection(rejection)
        metrics.rejected(Self.code(r))
        return r
    }

    /// nil when the credentials are valid; otherwise 401, or 429 once the client address has failed
    /// too often. Valid credentials are never refused, so throttling cannot lock SIMAS-ID out.
    private func authenticate(_ head: HTTPRequestHead) -> HTTPResponse? {
        if authenticator.authenticate(authorizationHeader: head.headers.first("Authorization")) != nil { return nil }
        return throttle.refuse(head, scope: "webhook")
    }

    /// `application/json` or `application/*+json`, any parameters, case-insensitive; on bytes
    /// (Foundation's CharacterSet trimming showed up at ~5 % of the webhook's CPU).
    static func isJSON(_ contentType: String) -> Bool {
        var media: [UInt8] = []
        media.reserveCapacity(32)
        for b in contentType.utf8 {
            if b == UInt8(ascii: ";") { break }
            if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") { continue }
            media.append(b >= 0x41 && b <= 0x5A ? b + 32 : b)
        }
        let prefix = Array("application/".utf8)
        guard media.count > prefix.count, media.starts(with: prefix) else { return false }
        return media.count == prefix.count + 4 && media.suffix(4).elementsEqual("json".utf8)
            || (media.count > prefix.count + 5 && media.suffix(5).elementsEqual("+json".utf8))
    }
}
