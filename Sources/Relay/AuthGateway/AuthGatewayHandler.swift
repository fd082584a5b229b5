import Dispatch
import HTTPServer
import RelayCore
import SIMASID

/// The auth listener. `/v1/auth/verify` (and `/v1/auth/verify/…`, as Envoy's `path_prefix` calls
/// it) answers on the event loop when the token's key is cached, which is nearly always; a token
/// that needs a JWKS fetch or a userinfo call, and every introspection or pre-fill request, is
/// judged on a worker queue. Tokens are never logged; refusals log the failed check only.
final class AuthGatewayHandler: HTTPHandler {

    let gate: any TokenGate
    let settings: AuthGatewaySettings
    let introspection: IntrospectionEndpoint?
    let kyc: KYCPrefillEndpoint?
    let metrics: AuthGatewayMetrics
    let logger: Logger
    private let queue = DispatchQueue(label: "otp-relay.auth-gateway", attributes: .concurrent)
    private let judgesPaths: Bool

    init(
        gate: any TokenGate, settings: AuthGatewaySettings, introspection: IntrospectionEndpoint?, kyc: KYCPrefillEndpoint?,
        metrics: AuthGatewayMetrics, logger: Logger
    ) {
        self.gate = gate
        self.settings = settings
        self.introspection = introspection
        self.kyc = kyc
        self.metrics = metrics
        self.logger = logger
        self.judgesPaths = !settings.requiredRoles.isEmpty || !settings.routes.isEmpty
    }

    enum Route: Equatable {
        case verify(tail: String?)
        case introspect
        case kyc
    }

    static func route(_ path: String) -> Route? {
        guard let m = RouteTable.match(.auth, path) else { return nil }
        switch m.route.id {
        case .verify: return .verify(tail: nil)
        case .verifyTail: return .verify(tail: m.parameter)
        case .introspect: return .introspect
        case .meKYC: return .kyc
        default: return nil
        }
    }

    func head(_ head: HTTPRequestHead) -> HTTPResponse? {
        switch Self.route(head.path) {
        case nil:
            return Responses.error(.notFound)
        case .introspect:
            guard let introspection else { return Responses.error(.notFound) }
            return introspection.precheck(head)
        case .kyc:
            guard kyc != nil else { return Responses.error(.notFound) }
            guard head.method == "GET" || head.method == "HEAD" else { return Responses.error(.methodNotAllowed(allow: "GET")) }
            return nil
        case .verify(let tail):
            let start = monotonicNanos()
            let token: String
            switch BearerToken.extract(head.headers) {
            case .missing: return finish(GatewayResponses.missingToken(), .denied, "missing_token", start)
            case .malformed(let why): return finish(GatewayResponses.malformedAuthorization(why), .denied, "malformed_authorization", start)
            case .token(let t): token = t
            }
            guard let result = gate.checkWithoutWaiting(token) else { return nil }
            return decide(result, head: head, tail: tail, start: start)
        }
    }

    func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let start = monotonicNanos()
        queue.async { [self] in
            switch Self.route(request.path) {
            case .verify(let tail):
                guard case .token(let token) = BearerToken.extract(request.headers) else {
                    respond(finish(GatewayResponses.missingToken(), .denied, "missing_token", start))
                    return
                }
                respond(decide(gate.check(token), head: request.head, tail: tail, start: start))
            case .introspect:
                let (response, result, reason) = introspection!.answer(request, gate: gate)
                respond(finish(response, result, reason, start, endpoint: "introspect"))
            case .kyc:
                let (response, result, reason) = kyc!.answer(request, gate: gate)
                respond(finish(response, result, reason, start, endpoint: "kyc"))
            case nil:
                respond(Responses.error(.notFound))
            }
        }
    }

    func rejection(_ rejection: HTTPRejection) -> HTTPResponse { Responses.rejection(rejection) }

    /// The verify decision: the token's result, then the role policy for the original URI.
    private func decide(
        _ result: Result<GatewayIdentity, TokenError>, head: HTTPRequestHead, tail: String?, start: UInt64
    ) -> HTTPResponse {
        let identity: GatewayIdentity
        switch result {
        case .failure(let e):
            let r: AuthGatewayMetrics.Result = e.isUnavailable ? .unavailable : e.isForbidden ? .forbidden : .denied
            if e.isUnavailable { logger.warning("auth gateway cannot judge tokens", ["check": .string(e.check.rawValue)]) }
            return finish(GatewayResponses.refused(e), r, e.check.rawValue, start)
        case .success(let i):
            identity = i
        }
        if judgesPaths {
            let raw = head.headers.first("X-Original-URI") ?? head.headers.first("X-Forwarded-Uri") ?? tail
            guard let raw, let path = OriginalURI.normalizedPath(raw) else {
                return finish(GatewayResponses.unreadablePath(), .forbidden, "unreadable_path", start)
            }
            let needed = settings.roles(forPath: path)
            guard needed.allSatisfy(identity.has) else {
                return finish(GatewayResponses.insufficientRole(), .forbidden, "insufficient_role", start)
            }
        }
        return finish(GatewayResponses.allowed(identity), .allowed, "valid", start)
    }

    private func finish(
        _ r: HTTPResponse, _ result: AuthGatewayMetrics.Result, _ reason: String, _ start: UInt64, endpoint: String = "verify"
    ) -> HTTPResponse {
        metrics.record(endpoint, result, reason: reason, nanos: monotonicNanos() &- start)
        if result != .allowed, logger.enabled(.debug) {
            logger.debug("auth refused", ["endpoint": .string(endpoint), "result": .string(result.rawValue), "check": .string(reason)])
        }
        return r
    }
}

/// `Authorization: Bearer <token68>` (RFC 6750 §2.1): the scheme in any case, one header only.
enum BearerToken {
    enum Extracted: Equatable {
        case missing
        case malformed(String)
        case token(String)
    }

    static func extract(_ headers: HTTPHeaders) -> Extracted {
        let values = headers.values("Authorization")
        guard var value = values.first else { return .missing }
        guard values.count == 1 else { return .malformed("more than one Authorization header") }
        return value.withUTF8(scan)
    }

    /// On the header's bytes (no lowercased copy, no Character walk: this runs on every request).
    private static func scan(_ b: UnsafeBufferPointer<UInt8>) -> Extracted {
        guard b.count > 7, isBearerScheme(b) else { return .malformed("the scheme is not Bearer") }
        var lo = 7, hi = b.count
        while lo < hi && b[lo] == 0x20 { lo += 1 }
        while hi > lo && b[hi - 1] == 0x20 { hi -= 1 }
        guard lo < hi else { return .malformed("the bearer token is empty") }
        guard hi - lo <= TokenLimits.defaultMaxTokenBytes else { return .malformed("the bearer token is too large") }
        for i in lo..<hi where !isToken68(b[i]) { return .malformed("the bearer token has characters a token cannot have") }
        return .token(String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self))
    }

    /// `bearer ` in any case of the letters (the space exactly).
    private static func isBearerScheme(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        for (i, c) in "bearer".utf8.enumerated() where b[i] | 0x20 != c || b[i] < 0x41 { return false }
        return b[6] == 0x20
    }

    /// RFC 7235 token68.
    static func isToken68(_ c: UInt8) -> Bool {
        switch c {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E, 0x2B, 0x2F, 0x3D: return true
        default: return false
        }
    }
}
