import RelayCore
import Transport

/// The send skeleton shared by the HTTP providers (Twilio, Meta WhatsApp, HTTP gateway): send the
/// request with the curl client, classify a transport failure, then read the response into an
/// outcome. Each provider keeps only its request building and its error table.
///
/// Not Sendable (it owns an `HTTPClient`, made on the first blocking `send`): one per provider
/// instance. `prepare` hands the request and a Sendable reading of its answer to the engine's
/// multi driver instead (`PreparedSend.http`).
final class ProviderHTTPExchange {
    /// How a non-2xx response is read.
    enum ErrorTable: Sendable {
        /// By the provider's error code at `codePath` (`OutcomeRules.errorResponse`), named
        /// `provider` in reasons.
        case codes(provider: String, codePath: String, classify: @Sendable (Int) -> (OutcomeRules.ErrorClass, String)?)
        /// By HTTP status alone (`OutcomeRules.byStatus`), named `provider` in reasons.
        case statusOnly(provider: String)
    }

    private let configuration: HTTPClientConfiguration
    private lazy var http = HTTPClient(configuration: configuration)
    /// A dot path to the provider's message id in a 2xx JSON body; nil when the body has none.
    let messageIDPath: String?
    let errors: ErrorTable
    let clock: any WallClock

    init(http: HTTPClientConfiguration, messageIDPath: String?, errors: ErrorTable, clock: any WallClock) {
        self.configuration = http
        self.messageIDPath = messageIDPath
        self.errors = errors
        self.clock = clock
    }

    /// Sends one request and gives its outcome; never throws.
    func send(_ request: HTTPClientRequest) -> DeliveryOutcome {
        run(prepare(request))
    }

    /// Runs a prepared send on this exchange's blocking client.
    func run(_ prepared: PreparedSend) -> DeliveryOutcome {
        prepared.run(http: { http }, smtp: { fatalError("an HTTP provider prepared an SMTP send") })
    }

    /// The request with the reading of its answer, for the multi driver.
    func prepare(_ request: HTTPClientRequest) -> PreparedSend {
        let (path, errors, clock) = (messageIDPath, errors, clock)
        return .http(request, configuration) { result in
            switch result {
            case .success(let r): ProviderHTTPExchange.outcome(of: r, messageIDPath: path, errors: errors, clock: clock)
            case .failure(let e): OutcomeRules.transport(e)
            }
        }
    }

    func outcome(of r: HTTPClientResponse) -> DeliveryOutcome {
        ProviderHTTPExchange.outcome(of: r, messageIDPath: messageIDPath, errors: errors, clock: clock)
    }

    /// 2xx is sent, with the message id at `messageIDPath` when the body is a JSON object that has
    /// one; anything else by the error table.
    static func outcome(
        of r: HTTPClientResponse, messageIDPath: String?, errors: ErrorTable, clock: any WallClock
    ) -> DeliveryOutcome {
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
