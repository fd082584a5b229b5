import Foundation
import RelayCore
import SIMASID

/// What a token that passed says about its holder, as the gateway hands it on: to the upstream
/// in `X-Auth-*` headers, to introspection callers as RFC 7662 members, to `/v1/me/kyc` as the
/// phone number (`preferred_username`).
struct GatewayIdentity: Sendable, Equatable {
    var subject: String?
    var username: String?
    var client: String?
    /// NumericDate seconds; nil when unknown (an opaque token judged by userinfo).
    var expiresAt: Int64?
    var issuedAt: Int64?
    var issuer: String?
    var audience: [String]
    /// `realm:NAME` and `client:CLIENT:NAME`, the syntax `required_roles` uses.
    var roles: [String]

    /// More roles than this are not handed on (a header stays small).
    static let maxRoles = 64

    init(
        subject: String?, username: String?, client: String?, expiresAt: Int64?, issuedAt: Int64?, issuer: String?,
        audience: [String], roles: [String]
    ) {
        self.subject = subject
        self.username = username
        self.client = client
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.issuer = issuer
        self.audience = audience
        self.roles = roles
    }

    /// A locally verified token.
    init(_ t: VerifiedToken) {
        self.init(
            subject: t.subject, username: t.preferredUsername, client: t.authorizedParty, expiresAt: Self.seconds(t.expiresAt),
            issuedAt: t.issuedAt.flatMap(Self.seconds), issuer: t.issuer, audience: t.audience,
            roles: Self.roles(realm: t.realmRoles, resourceAccess: t.claims["resource_access"]?.objectValue))
    }

    static func seconds(_ d: Double) -> Int64? { d.isFinite && abs(d) < 1e15 ? Int64(d) : nil }

    static func roles(realm: [String], resourceAccess: [String: JSONValue]?) -> [String] {
        var out = realm.map { "realm:" + $0 }
        for (client, v) in (resourceAccess ?? [:]).sorted(by: { $0.key < $1.key }) {
            out += (v["roles"]?.arrayValue ?? []).compactMap(\.stringValue).map { "client:\(client):\($0)" }
        }
        return Array(out.filter(Self.isRoleText).prefix(maxRoles))
    }

    /// A role that can stand in a comma-separated header: visible ASCII, no comma.
    static func isRoleText(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 200 && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") }
    }

    /// Whether this holder has `role`.
    func has(_ role: TokenAuthorizationPolicy.Role) -> Bool {
        switch role {
        case .realm(let r): return roles.contains("realm:" + r)
        case .client(let c, let r): return roles.contains("client:\(c):\(r)")
        }
    }

    /// A claim value that may go into a response header: no control characters, bounded.
    static func headerSafe(_ s: String?) -> String? {
        guard let s, !s.isEmpty, s.utf8.count <= 512, s.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else { return nil }
        return s
    }

    /// The headers `/v1/auth/verify` answers a valid token with. A claim a header cannot carry
    /// (control characters, over 512 bytes) is left out rather than mangled.
    var headers: [(String, String)] {
        var h: [(String, String)] = []
        if let v = Self.headerSafe(subject) { h.append(("X-Auth-Subject", v)) }
        if let v = Self.headerSafe(username) { h.append(("X-Auth-Username", v)) }
        if let v = Self.headerSafe(client) { h.append(("X-Auth-Client", v)) }
        if let v = expiresAt { h.append(("X-Auth-Expires", String(v))) }
        h.append(("X-Auth-Roles", roles.joined(separator: ",")))
        return h
    }
}
