/// Every route the three listeners serve, in one place: the routers match paths through it, and a
/// test holds `docs/openapi.yaml` to it (the same paths, the same methods, both ways).
///
/// Paths are OpenAPI templates: `{id}` is a job id (26 characters, 0-9 A-Z); `{path}`, last only,
/// is the rest of the path after a `/` (any characters, slashes too, possibly empty); any other
/// `{name}` is one segment (the handler judges it, e.g. a provider's name).
enum RouteTable {
    enum Listener: String, CaseIterable, Sendable {
        case `public`, admin, auth

        /// Where its routes are in `byListener`.
        var position: Int {
            switch self {
            case .public: 0
            case .admin: 1
            case .auth: 2
            }
        }
    }

    enum ID: Sendable, Equatable {
        case webhook, healthz, twilioReceipt, metaReceipt
        case statusPage, metrics, readyz, stats, jobs, job, replayOne, replayMany, kyc
        case verify, verifyTail, introspect, meKYC
    }

    struct Route: Sendable {
        let id: ID
        let listener: Listener
        let path: String
        /// The methods served (HEAD where GET is, unless a router says otherwise).
        let methods: [String]
        /// What the configuration must have for the route to be served ("" when always).
        let needs: String

        /// The path's segments, or nil for a literal path (compared whole).
        fileprivate let segments: [Substring]?

        init(_ id: ID, _ listener: Listener, _ path: String, _ methods: [String], needs: String = "") {
            self.id = id
            self.listener = listener
            self.path = path
            self.methods = methods
            self.needs = needs
            self.segments = path.contains("{") ? path.split(separator: "/", omittingEmptySubsequences: false) : nil
        }
    }

    /// A matched route and its path parameters (`id`, or `path` with its leading `/`).
    struct Match: Sendable {
        let route: Route
        let parameter: String?
    }

    static let webhookPath = "/v1/webhooks/otp"
    static let kycPath = "/v1/kyc"
    static let verifyPath = "/v1/auth/verify"
    static let introspectPath = "/v1/auth/introspect"
    static let meKYCPath = "/v1/me/kyc"

    /// The token gateway's verify endpoint answers any method (a forward-auth subrequest keeps the
    /// client's): these are the ones OpenAPI can name.
    static let anyMethod = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]

    static let routes: [Route] = [
        Route(.webhook, .public, webhookPath, ["POST"]),
        Route(.healthz, .public, "/healthz", ["GET", "HEAD"]),
        Route(.twilioReceipt, .public, "/v1/receipts/twilio/{provider}", ["POST"], needs: "delivery.providers.*.status_callbacks"),
        Route(.metaReceipt, .public, "/v1/receipts/meta/{provider}", ["GET", "POST"], needs: "delivery.providers.*.status_callbacks"),
        Route(.statusPage, .admin, "/", ["GET", "HEAD"]),
        Route(.metrics, .admin, "/metrics", ["GET", "HEAD"]),
        Route(.readyz, .admin, "/readyz", ["GET", "HEAD"]),
        Route(.stats, .admin, "/v1/stats", ["GET", "HEAD"]),
        Route(.jobs, .admin, "/v1/jobs", ["GET", "HEAD"]),
        Route(.replayMany, .admin, "/v1/jobs/replay", ["POST"]),
        Route(.job, .admin, "/v1/jobs/{id}", ["GET", "HEAD"]),
        Route(.replayOne, .admin, "/v1/jobs/{id}/replay", ["POST"]),
        Route(.kyc, .admin, kycPath, ["GET", "HEAD", "POST"], needs: "sqekyc"),
        Route(.verify, .auth, verifyPath, anyMethod),
        Route(.verifyTail, .auth, verifyPath + "/{path}", anyMethod),
        Route(.introspect, .auth, introspectPath, ["POST"], needs: "auth_gateway.introspection_credentials"),
        Route(.meKYC, .auth, meKYCPath, ["GET", "HEAD"], needs: "sqekyc"),
    ]

    /// Each listener's routes in table order, at its `position` (an array, not a dictionary: the
    /// webhook matches its route on every request).
    private static let byListener: [[Route]] = {
        var lists = [[Route]](repeating: [], count: Listener.allCases.count)
        for r in routes { lists[r.listener.position].append(r) }
        return lists
    }()

    /// The listener's route for `path`, the first that matches in table order (literal
    /// `/v1/jobs/replay` before `/v1/jobs/{id}`).
    static func match(_ listener: Listener, _ path: String) -> Match? {
        for r in byListener[listener.position] {
            guard let segments = r.segments else {
                if path == r.path { return Match(route: r, parameter: nil) }
                continue
            }
            if let p = match(segments, path) { return Match(route: r, parameter: p) }
        }
        return nil
    }

    private static func match(_ template: [Substring], _ path: String) -> String? {
        if template.last == "{path}" {
            let prefix = template.dropLast().joined(separator: "/") + "/"
            return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count - 1)) : nil
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == template.count else { return nil }
        var parameter: String?
        for (t, p) in zip(template, parts) {
            if t == "{id}" {
                guard validJobID(p) else { return nil }
                parameter = String(p)
            } else if t.first == "{" {
                parameter = String(p)
            } else if t != p {
                return nil
            }
        }
        return parameter
    }

    static func validJobID(_ s: Substring) -> Bool {
        s.utf8.count == 26 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) }
    }
}
