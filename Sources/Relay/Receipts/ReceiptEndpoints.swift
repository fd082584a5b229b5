import Delivery
import HTTPServer
import Outbox
import RelayCore
import RelayCrypto
import Synchronization

/// The receipt endpoints on the public listener, authenticated by the providers' signatures
/// (not BasicAuth):
///
/// - `POST /v1/receipts/twilio/{provider}`: a status callback (form), `X-Twilio-Signature`;
/// - `GET /v1/receipts/meta/{provider}`: Meta's subscription handshake (`hub.verify_token`);
/// - `POST /v1/receipts/meta/{provider}`: a status webhook (JSON), `X-Hub-Signature-256`.
///
/// A bad or missing signature: 403 in the partner's error shape, nothing stored, counted, and
/// throttled per client like a failed BasicAuth (429 past the limit). A receipt for a message id
/// no attempt has: 200 (providers retry anything else), counted. Bodies over 64 KiB: 413.
final class ReceiptEndpoints: Sendable {
    static let prefix = "/v1/receipts/"
    static let maxBodyBytes = 64 * 1024

    enum Source: Sendable {
        case twilio(url: String, authToken: String)
        case meta(MetaSignature, verifyToken: String)
    }

    private let sources: [String: Source]
    private let store: any JobReceiptStore
    private let delivery: DeliveryConfiguration
    private let throttle: FailedAuthThrottle
    let metrics: ReceiptMetrics
    private let clock: any WallClock

    /// nil when no provider sends receipts (the paths then answer 404).
    init?(
        delivery: DeliveryConfiguration, store: any JobReceiptStore, throttle: FailedAuthThrottle, metrics: ReceiptMetrics,
        clock: any WallClock
    ) {
        var sources: [String: Source] = [:]
        for (name, spec) in delivery.providers {
            switch spec.receipts {
            case .twilio(let url, let token)?: sources[name] = .twilio(url: url, authToken: token)
            case .meta(let secret, let verify)?: sources[name] = .meta(MetaSignature(appSecret: secret), verifyToken: verify)
            case nil: break
            }
        }
        guard !sources.isEmpty else { return nil }
        self.sources = sources
        self.store = store
        self.delivery = delivery
        self.throttle = throttle
        self.metrics = metrics
        self.clock = clock
    }

    /// `twilio/{name}` or `meta/{name}` after the prefix (`RouteTable`): the provider's name and source.
    private func route(_ path: String) -> (name: String, source: Source)? {
        guard let m = RouteTable.match(.public, path), let name = m.parameter, let source = sources[name] else { return nil }
        switch (m.route.id, source) {
        case (.twilioReceipt, .twilio), (.metaReceipt, .meta): return (name, source)
        default: return nil
        }
    }

    /// Routing, method and size from the head; nil to read the body. The handshake is answered here.
    func head(_ head: HTTPRequestHead) -> HTTPResponse? {
        guard let (_, source) = route(head.path) else { return Responses.error(.notFound) }
        if case .meta(_, let verifyToken) = source, head.method == "GET" {
            return handshake(head, verifyToken: verifyToken)
        }
        guard head.method == "POST" else {
            if case .meta = source { return Responses.error(.methodNotAllowed(allow: "GET, POST")) }
            return Responses.error(.methodNotAllowed(allow: "POST"))
        }
        if (head.contentLength ?? 0) > Self.maxBodyBytes {
            metrics.refused("too_large")
            return Responses.error(.payloadTooLarge, close: true)
        }
        return nil
    }

    /// `hub.mode=subscribe` with the right `hub.verify_token`: 200 with `hub.challenge` as the
    /// body; anything else 403 (counted and throttled like a bad signature).
    private func handshake(_ head: HTTPRequestHead, verifyToken: String) -> HTTPResponse {
        let query = FormBody.decode(Array((head.query ?? "").utf8)) ?? []
        func value(_ n: String) -> String? { query.first { $0.0 == n }?.1 }
        let token = Array((value("hub.verify_token") ?? "").utf8)
        let tokenOK = Crypto.constantTimeEquals(token, Array(verifyToken.utf8))
        guard value("hub.mode") == "subscribe", tokenOK, let challenge = value("hub.challenge"),
            (1...128).contains(challenge.utf8.count), challenge.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x3C })
        else {
            metrics.refused("handshake")
            return refuse(head, "The verification token does not match")
        }
        return HTTPResponse(
            status: 200, headers: [("Content-Type", "text/plain"), ("Cache-Control", "no-store")], body: Array(challenge.utf8))
    }

    private func refuse(_ head: HTTPRequestHead, _ why: String) -> HTTPResponse {
        throttle.refuse(head, scope: "receipt", logPath: true, refusal: .forbidden(why))
    }

    func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        guard let (name, source) = route(request.path) else { return respond(Responses.error(.notFound)) }
        let now = clock.nowMillis()
        let receipts: [Receipt]
        switch source {
        case .twilio(let url, let token):
            guard let form = FormBody.decode(request.body),
                TwilioSignature.isValid(
                    signature: request.headers.first("X-Twilio-Signature"), url: url, parameters: form, authToken: token)
            else {
                metrics.refused("signature")
                return respond(refuse(request.head, "The request signature does not match"))
            }
            guard let r = ReceiptParsing.twilio(form, provider: name, now: now) else {
                metrics.refused("malformed")
                return respond(Responses.error(.invalidRequest("MessageSid and MessageStatus are required")))
            }
            receipts = [r]
        case .meta(let signature, _):
            guard signature.isValid(header: request.headers.first("X-Hub-Signature-256"), body: request.body) else {
                metrics.refused("signature")
                return respond(refuse(request.head, "The request signature does not match"))
            }
            guard let rs = ReceiptParsing.meta(request.body, provider: name, now: now) else {
                metrics.refused("malformed")
                return respond(Responses.error(.invalidRequest("The body is not a webhook notification")))
            }
            receipts = rs
        }
        record(receipts, executor: request.executor, now: now, respond: respond)
    }

    /// Records every receipt of one request through the store's writer; answers 200 once all
    /// committed, 503 when one could not be (the provider sends it again: repeats change nothing).
    private func record(
        _ receipts: [Receipt], executor: (any CompletionExecutor)?, now: Int64, respond: @escaping @Sendable (HTTPResponse) -> Void
    ) {
        guard !receipts.isEmpty else { return respond(Self.ok) }
        let pending = Mutex((left: receipts.count, failed: false))
        let delivery = self.delivery
        let metrics = self.metrics
        for r in receipts {
            store.recordReceipt(
                r, executor: executor,
                decide: { ReceiptJudgement.decide(r, target: $0, now: now, configuration: delivery) }
            ) { result in
                if case .success(let taken) = result { metrics.took(r, taken, now: now) }
                let (done, failed) = pending.withLock { p in
                    p.left -= 1
                    if case .failure = result { p.failed = true }
                    return (p.left == 0, p.failed)
                }
                guard done else { return }
                respond(failed ? Responses.error(.unavailable(retryAfterSeconds: 1, reason: "store unavailable")) : Self.ok)
            }
        }
    }

    private static let ok = Responses.json(200, "{\"status\":\"ok\"}")
}
