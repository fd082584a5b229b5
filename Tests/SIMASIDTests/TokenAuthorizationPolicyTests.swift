import RelayCore
import XCTest

@testable import SIMASID

final class TokenAuthorizationPolicyTests: XCTestCase {
    /// A verified token built from minted claims (the policy only looks at claims).
    private func token(sub: String? = "user-1", realm: [String] = [], client: [String: [String]] = [:]) -> VerifiedToken {
        var claims: [String: JSONValue] = [
            "realm_access": .object(["roles": .array(realm.map { .string($0) })]),
            "resource_access": .object(client.mapValues { .object(["roles": .array($0.map { .string($0) })]) }),
        ]
        if let sub { claims["sub"] = .string(sub) }
        return VerifiedToken(
            keyID: "k", claims: .object(claims), issuer: "i", audience: ["nanovest"], subject: sub,
            authorizedParty: "nanovest", expiresAt: 0, issuedAt: nil, notBefore: nil)
    }

    func testSubjectsAndRoles() {
        let policy = TokenAuthorizationPolicy(
            allowedSubjects: ["ops-1"],
            anyOfRoles: [.realm("otp-admin"), .client(client: "nanovest", role: "replay")])
        XCTAssertNoThrow(try policy.authorize(token(sub: "ops-1")).get())
        XCTAssertNoThrow(try policy.authorize(token(realm: ["otp-admin"])).get())
        XCTAssertNoThrow(try policy.authorize(token(client: ["nanovest": ["replay"]])).get())
        let denied = policy.authorize(token(realm: ["user"], client: ["siminvest": ["replay"]]))
        XCTAssertEqual(denied.failure?.check, .notAuthorized)
        XCTAssertTrue(denied.failure?.isForbidden ?? false)
        XCTAssertEqual(policy.authorize(token(sub: nil)).failure?.check, .notAuthorized)
    }

    func testEmptyPolicyDeniesEveryone() {
        XCTAssertEqual(TokenAuthorizationPolicy().authorize(token(sub: "ops-1", realm: ["otp-admin"])).failure?.check, .notAuthorized)
    }

    func testRoleSyntax() {
        XCTAssertEqual(TokenAuthorizationPolicy.Role(parsing: "realm:otp-admin"), .realm("otp-admin"))
        XCTAssertEqual(TokenAuthorizationPolicy.Role(parsing: "client:nanovest:replay"), .client(client: "nanovest", role: "replay"))
        XCTAssertNil(TokenAuthorizationPolicy.Role(parsing: "otp-admin"))
        XCTAssertNil(TokenAuthorizationPolicy.Role(parsing: "client:nanovest"))
        XCTAssertNil(TokenAuthorizationPolicy.Role(parsing: "realm:"))
    }

    func testCheckWithMintedToken() throws {
        let idp = try FakeIdP()
        defer { idp.stop() }
        let verifier = TokenVerifier(
            configuration: TokenVerifierTests.configuration(idp), transport: TestTransport.make(),
            clock: ManualClock(TokenFixtures.nowSeconds * 1000))
        let tokens = TokenFixtures.shared
        XCTAssertNoThrow(try TokenAuthorizationPolicy(anyOfRoles: [.realm("otp-admin")]).check(tokens["valid"], with: verifier).get())
        XCTAssertEqual(
            TokenAuthorizationPolicy(anyOfRoles: [.realm("auditor")]).check(tokens["valid"], with: verifier).failure?.check, .notAuthorized)
        XCTAssertEqual(
            TokenAuthorizationPolicy(anyOfRoles: [.realm("otp-admin")]).check(tokens["expired"], with: verifier).failure?.check, .expired)
    }
}

final class TokenGuardHelpersTests: XCTestCase {
    func testBearerTokenExtraction() {
        XCTAssertEqual(TokenVerifier.bearerToken(fromAuthorization: "Bearer abc.def.ghi"), "abc.def.ghi")
        XCTAssertEqual(TokenVerifier.bearerToken(fromAuthorization: "bearer  abc"), "abc")
        XCTAssertNil(TokenVerifier.bearerToken(fromAuthorization: nil))
        XCTAssertNil(TokenVerifier.bearerToken(fromAuthorization: "Basic dXNlcjpwYXNz"))
        XCTAssertNil(TokenVerifier.bearerToken(fromAuthorization: "Bearer"))
        XCTAssertNil(TokenVerifier.bearerToken(fromAuthorization: "Bearer a b"))
        XCTAssertNil(TokenVerifier.bearerToken(fromAuthorization: "Bearer a\"b"))
    }

    func testStatusAndChallenge() {
        XCTAssertEqual(TokenError(.expired, "x").httpStatus, 401)
        XCTAssertEqual(TokenError(.expired, "x").bearerChallenge(), #"Bearer realm="otp-relay", error="invalid_token""#)
        XCTAssertEqual(TokenError(.notAuthorized, "x").httpStatus, 403)
        XCTAssertEqual(TokenError(.notAuthorized, "x").bearerChallenge(), #"Bearer realm="otp-relay", error="insufficient_scope""#)
        XCTAssertEqual(TokenError(.keysUnavailable, "x").httpStatus, 503)
        XCTAssertNil(TokenError(.keysUnavailable, "x").bearerChallenge())
        XCTAssertEqual(TokenError.missingTokenChallenge(), #"Bearer realm="otp-relay""#)
    }
}
