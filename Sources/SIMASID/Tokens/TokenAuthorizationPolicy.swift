/// Who, among holders of valid tokens, may use a guarded API (the admin listener): listed subjects,
/// or holders of a required role (Keycloak `realm_access.roles` or
/// `resource_access.<client>.roles`). Either grant is enough. A policy that grants nothing denies
/// everyone: a valid SIMAS-ID login alone never opens the admin API.
public struct TokenAuthorizationPolicy: Sendable, Equatable {
    /// A role requirement in Keycloak's token layout.
    public enum Role: Sendable, Hashable, CustomStringConvertible {
        /// `realm_access.roles` contains the name.
        case realm(String)
        /// `resource_access.<client>.roles` contains the name.
        case client(client: String, role: String)

        public var description: String {
            switch self {
            case .realm(let r): return "realm role \(TokenError.quoted(r))"
            case .client(let c, let r): return "client role \(TokenError.quoted(r)) of \(TokenError.quoted(c))"
            }
        }

        /// `realm:NAME` or `client:CLIENT:NAME` (configuration and command-line syntax).
        public init?(parsing text: String) {
            let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            switch (parts.first, parts.count) {
            case ("realm", 2) where !parts[1].isEmpty: self = .realm(parts[1])
            case ("client", 3) where !parts[1].isEmpty && !parts[2].isEmpty: self = .client(client: parts[1], role: parts[2])
            default: return nil
            }
        }
    }

    /// `sub` values allowed whatever their roles.
    public var allowedSubjects: Set<String>
    /// Any one of these roles grants access.
    public var anyOfRoles: Set<Role>

    public init(allowedSubjects: Set<String> = [], anyOfRoles: Set<Role> = []) {
        self.allowedSubjects = allowedSubjects
        self.anyOfRoles = anyOfRoles
    }

    /// Access for this verified token, or `.notAuthorized` saying what was required.
    public func authorize(_ token: VerifiedToken) -> Result<Void, TokenError> {
        if let sub = token.subject, allowedSubjects.contains(sub) { return .success(()) }
        for role in anyOfRoles {
            switch role {
            case .realm(let r) where token.realmRoles.contains(r): return .success(())
            case .client(let c, let r) where token.clientRoles(c).contains(r): return .success(())
            default: continue
            }
        }
        if allowedSubjects.isEmpty && anyOfRoles.isEmpty {
            return .failure(TokenError(.notAuthorized, "no subjects or roles are configured, so no token is authorized"))
        }
        var needs: [String] = []
        if !allowedSubjects.isEmpty { needs.append("a listed subject") }
        needs += anyOfRoles.map(\.description).sorted()
        let who = token.subject.map { "subject \(TokenError.quoted($0))" } ?? "a token without sub"
        return .failure(TokenError(.notAuthorized, "\(who) is not authorized: needs \(needs.joined(separator: " or "))"))
    }

    /// Verification then authorization, the admin guard in one call.
    public func check(_ token: String, with verifier: TokenVerifier) -> Result<VerifiedToken, TokenError> {
        verifier.verify(token).flatMap { verified in authorize(verified).map { verified } }
    }
}
