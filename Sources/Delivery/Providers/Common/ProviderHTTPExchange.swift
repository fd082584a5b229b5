import RelayCore
import Transport

/// The send skeleton shared by the HTTP providers (Twilio, Meta WhatsApp, HTTP gateway): send the
/// request with the curl client, classify a transport failure, then read the response into an
/// outcome. Each provider keeps only its request building and its error table.
///
/// Not Sendable (it owns an `HTTPClient`): one per provider, and so one per worker.
final class ProviderHTTPExchange {
    /// How a non-2xx response is read.
    enum ErrorTable {
        /// By the provider's error code at `codePath` (`OutcomeRules.errorResponse`), named
        /// `provider` in reasons.
        case codes(provider: String, codePath: String, classify: (Int) -> (OutcomeRules.ErrorClass, String)?)
        /// By HTTP status alone (`OutcomeRules.byStatus`), named `provider` in reasons.
        case statusOnly(provider: String)
    }

    private let http: HTTPClient
    /// A dot path to the provider's message id in a 2xx JSON body; nil when the body has none.
    let messageIDPath: String?
    let errors: ErrorTable
    let clock: any WallClock

    init(http: HTTPClientConfiguration, messageIDPath: String?, errors: ErrorTable, clock: any WallClock) {
        self.http = HTTPClient(configuration: http)
        self.messageIDPath = messageIDPath
        self.errors = errors
        self.clock = clock
    }

    /// Sends one request and gives its outcome; never throws.
    func send(_ request: HTTPClientRequest) -> DeliveryOutcome {
        let response: HTTPClientResponse
        do {
            response = try http.perform(request)
        } catch {
            return OutcomeRules.transport(error)
        }
        return outcome(of: response)
    }

    /// 2xx is sent, with the message id at `messageIDPath` when the body is a JSON object that has
    /// one; anything else by the error table.
    func outcome(of r: HTTPClientResponse) -> DeliveryOutcome {
        if r.isSuccess {
            let id = messageIDPath.flatMap { path in ProviderJSON.object(r.body).flatMap { ProviderJSON.string(at: path, in: $0) } }
            return .sent(providerMessageID: id, status: r.status)
        }
        switch errors {
        case .codes(let provider, let codePath, let classify):
            return OutcomeRules.errorResponse(
                r, json: ProviderJSON.object(r.body), codePath: codePath, provider: provider, classify: classify, clock: clock)
        case .statusOnly(let provider):
            return OutcomeRules.byStatus(r, provider: provider, clock: clock)
        }
    }

    /// A provider's base URL without its trailing `/`, followed by `path` (which starts with `/`).
    static func url(base: String, path: String) -> String {
        (base.hasSuffix("/") ? String(base.dropLast()) : base) + path
    }
}
