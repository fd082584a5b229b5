import RelayCore
import XCTest

@testable import SIMASID

/// Tokens minted by PyJWT/cryptography, keys served by the fake IdP over loopback HTTP: the valid
/// token passes and every bad one fails with its own check.
final class TokenVerifierTests: XCTestCase {
    nonisolated(unsafe) static var idp: FakeIdP!
    nonisolated(unsafe) static var verifier: TokenVerifier!
    static let clock = ManualClock(TokenFixtures.nowSeconds * 1000)

    override class func setUp() {
        super.setUp()
        idp = try! FakeIdP()
        verifier = TokenVerifier(configuration: configuration(idp), transport: TestTransport.make(), clock: clock)
    }

    override class func tearDown() {
        idp.stop()
        idp = nil
        verifier = nil
        super.tearDown()
    }

    static func configuration(_ idp: FakeIdP) -> TokenVerifierConfiguration {
        TokenVerifierConfiguration(issuer: TokenFixtures.issuer, clientID: TokenFixtures.clientID, jwksURI: idp.jwksURI)
    }

    private var tokens: TokenFixtures { .shared }

    private func assertRejected(_ name: String, _ check: TokenError.Check, file: StaticString = #filePath, line: UInt = #line) {
        switch Self.verifier.verify(tokens[name]) {
        case .success:
            XCTFail("\(name) was accepted", file: file, line: line)
        case .failure(let error):
            XCTAssertEqual(error.check, check, "\(name): \(error)", file: file, line: line)
            XCTAssertFalse(error.detail.contains(tokens[name]), "the detail must not echo the token", file: file, line: line)
        }
    }

    func testValidTokenPasses() throws {
        let token = try Self.verifier.verify(tokens["valid"]).get()
        XCTAssertEqual(token.keyID, "key-a")
        XCTAssertEqual(token.issuer, TokenFixtures.issuer)
        XCTAssertEqual(token.audience, ["nanovest", "account"])
        XCTAssertEqual(token.authorizedParty, "nanovest")
        XCTAssertEqual(token.subject, "f3b1c2d4-0000-4000-8000-000000000001")
        XCTAssertEqual(token.preferredUsername, "6285610573956")
        XCTAssertEqual(token.expiresAt, Double(TokenFixtures.nowSeconds + 300))
        XCTAssertEqual(token.realmRoles, ["otp-admin", "offline_access"])
        XCTAssertEqual(token.clientRoles("nanovest"), ["replay"])
        XCTAssertEqual(token.scopes, ["openid", "profile"])
    }

    func testValidVariantsPass() {
        for name in ["valid_aud_string", "valid_at_jwt", "valid_no_typ_no_nbf", "valid_skew_inside_leeway"] {
            if case .failure(let e) = Self.verifier.verify(tokens[name]) { XCTFail("\(name): \(e)") }
        }
    }

    // Header policy, checked before any key is used.
    func testAlgNoneRejected() { assertRejected("alg_none", .algorithmNotAllowed) }
    func testHS256WithPublicKeyAsSecretRejected() { assertRejected("hs256_public_key", .algorithmNotAllowed) }
    func testUnknownCritRejected() { assertRejected("crit_unknown", .unsupportedCritical) }
    func testHeaderTypeOtherThanJWTRejected() { assertRejected("header_typ_other", .headerType) }
    func testMissingKidRejected() { assertRejected("no_kid", .missingKeyID) }

    // Shape.
    func testMalformedBase64URLRejected() {
        assertRejected("malformed_b64_padding", .malformedBase64URL)
        assertRejected("malformed_b64_standard_alphabet", .malformedBase64URL)
        assertRejected("malformed_b64_trailing_bits", .malformedBase64URL)
    }
    func testOversizedTokenRejected() { assertRejected("oversized", .tokenTooLarge) }
    func testTwoSegmentsRejected() { assertRejected("two_segments", .malformedToken) }

    // Keys and signature.
    func testUnknownKidRejected() { assertRejected("unknown_kid", .unknownKeyID) }
    func testKeyOf1024BitsRejected() { assertRejected("weak_key", .keyTooSmall) }
    func testEncryptionKeyRejected() { assertRejected("enc_key", .keyNotUsable) }
    func testTamperedPayloadRejected() { assertRejected("tampered_payload", .signatureInvalid) }
    func testTamperedSignatureRejected() { assertRejected("tampered_signature", .signatureInvalid) }

    // Claims.
    func testWrongIssuerRejected() { assertRejected("wrong_iss", .issuer) }
    func testAudienceStringWithoutClientIDRejected() { assertRejected("aud_string_other", .audience) }
    func testAudienceArrayWithoutClientIDRejected() { assertRejected("aud_array_other", .audience) }
    func testAuthorizedPartyMismatchRejected() { assertRejected("azp_other", .authorizedParty) }
    func testExpiredRejected() { assertRejected("expired", .expired) }
    func testMissingExpiryRejected() { assertRejected("no_exp", .missingExpiry) }
    func testNotBeforeInFutureRejected() { assertRejected("nbf_future", .notYetValid) }
    func testIssuedAtInFutureRejected() { assertRejected("iat_future", .issuedInFuture) }
    func testPayloadTypeOtherThanBearerRejected() { assertRejected("payload_typ_id", .tokenType) }

    func testAuthorizedPartyCheckCanBeTurnedOff() throws {
        var c = Self.configuration(Self.idp)
        c.requireAuthorizedParty = false
        let v = TokenVerifier(configuration: c, keys: Self.verifier.keys, clock: Self.clock)
        XCTAssertNoThrow(try v.verify(tokens["azp_other"]).get())
    }

    func testLeewayIsConfigurable() {
        var c = Self.configuration(Self.idp)
        c.leewaySeconds = 0
        let v = TokenVerifier(configuration: c, keys: Self.verifier.keys, clock: Self.clock)
        XCTAssertEqual(v.verify(tokens["valid_skew_inside_leeway"]).failureCheck, .expired)
        c.leewaySeconds = 200
        let lenient = TokenVerifier(configuration: c, keys: Self.verifier.keys, clock: Self.clock)
        XCTAssertNoThrow(try lenient.verify(tokens["expired"]).get())
    }

    func testAllRejectionsTogetherCostOneFetch() throws {
        for name in ["valid", "unknown_kid", "weak_key", "enc_key", "alg_none", "tampered_signature"] {
            _ = Self.verifier.verify(tokens[name])
        }
        XCTAssertEqual(try Self.idp.certsFetches(), 1, "one JWKS fetch for the whole class, unknown kids inside the cooldown")
    }
}

extension Result where Failure == TokenError {
    var failureCheck: TokenError.Check? {
        if case .failure(let e) = self { return e.check }
        return nil
    }
}
