import XCTest

@testable import SIMASID

/// The userinfo path against the fake IdP over loopback: 200, 401, 403 insufficient_scope.
final class UserinfoClientTests: XCTestCase {
    private var idp: FakeIdP!
    private var client: UserinfoClient!

    override func setUpWithError() throws {
        idp = try FakeIdP()
        client = UserinfoClient(url: idp.userinfoURL, transport: TestTransport.make())
    }

    override func tearDown() { idp.stop() }

    func testOKReturnsClaims() throws {
        let info = try client.fetch("userinfo-ok").get()
        XCTAssertEqual(info.subject, "279a-9bf")
        XCTAssertEqual(info.preferredUsername, "6285610573956")
        XCTAssertEqual(info.emailVerified, false)
        XCTAssertEqual(info.claims["given_name"]?.stringValue, "John")
    }

    func testUnauthorizedIsInvalidToken() throws {
        let error = try XCTUnwrap(client.fetch("expired-or-unknown").failure)
        XCTAssertEqual(error.check, .userinfoUnauthorized)
        XCTAssertTrue(error.detail.contains("invalid_token"), error.detail)
        XCTAssertFalse(error.detail.contains("expired-or-unknown"))
    }

    func testForbiddenWithInsufficientScope() throws {
        let error = try XCTUnwrap(client.fetch("userinfo-noscope").failure)
        XCTAssertEqual(error.check, .insufficientScope)
        XCTAssertTrue(error.isForbidden)
    }

    func testOtherForbiddenAndServerErrors() throws {
        XCTAssertEqual(client.fetch("userinfo-forbidden").failure?.check, .userinfoForbidden)
        XCTAssertEqual(client.fetch("userinfo-broken").failure?.check, .userinfoUnavailable)
        XCTAssertEqual(try idp.userinfoCalls(), 2)
        idp.stop()
        let down = try XCTUnwrap(client.fetch("userinfo-ok").failure)
        XCTAssertEqual(down.check, .userinfoUnavailable)
        XCTAssertTrue(down.isUnavailable)
    }

    func testTokenThatCannotBeAHeaderIsNotSent() throws {
        XCTAssertEqual(client.fetch("abc\r\nX-Evil: 1").failure?.check, .malformedToken)
        XCTAssertEqual(client.fetch("").failure?.check, .malformedToken)
        XCTAssertEqual(try idp.userinfoCalls(), 0)
    }

    func testBearerChallengeParsing() {
        let c = BearerChallenge(#"Bearer realm="simas-id", error="insufficient_scope", error_description="needs \"openid\"""#)
        XCTAssertEqual(c.parameters["realm"], "simas-id")
        XCTAssertEqual(c.error, "insufficient_scope")
        XCTAssertEqual(c.parameters["error_description"], #"needs "openid""#)
        XCTAssertEqual(BearerChallenge("Bearer error=invalid_token").error, "invalid_token")
        XCTAssertNil(BearerChallenge("Basic realm=x").error)
        XCTAssertNil(BearerChallenge(nil).error)
    }

    func testPresets() {
        XCTAssertEqual(SIMASIDEnvironment.staging.userinfoURL, "https://api-stg.simas-id.com/v1/oidc/userinfo")
        XCTAssertEqual(SIMASIDEnvironment.production.userinfoURL, "https://api.simas-id.com/v1/oidc/userinfo")
        XCTAssertEqual(SIMASIDEnvironment.staging.jwksURI, "https://api-stg.simas-id.com/v1/oidc/certs")
        XCTAssertEqual(SIMASIDEnvironment.production.jwksURI, "https://api.simas-id.com/v1/oidc/certs")
    }
}
