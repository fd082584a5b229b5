import Foundation
import RelayCore
import RelayTestSupport
import SIMASID
import SQEKYC
import XCTest

@testable import Relay

/// The auth listener over real HTTP on loopback: RFC 7662 introspection, userinfo mode against the
/// fake SIMAS-ID, and the KYC pre-fill against the fake SQEKYC.
final class AuthGatewayTests: XCTestCase {
    static let caller = "orders-api"
    static let callerPassword = "introspect-secret-5521"
    static var callerAuth: String { "Basic " + Data("\(caller):\(callerPassword)".utf8).base64EncodedString() }

    func service(_ idp: FakeSIMASID, mode: TokenVerifyMode = .local, tweak: (inout Configuration) -> Void = { _ in }) throws -> TestService
    {
        try TestService { c in
            c.deliveryEnabled = false
            c.simasID = SIMASIDSettings(
                verifier: TokenVerifierConfiguration(issuer: FakeSIMASID.issuer, clientID: "nanovest", jwksURI: idp.jwksURI),
                policy: TokenAuthorizationPolicy(allowedSubjects: ["nobody"]), verifyMode: mode, userinfoURL: idp.userinfoURL)
            c.authGateway.listen = ListenAddress(host: "127.0.0.1", port: 0)
            c.authGateway.introspectionCredentials = [StoredCredential(username: Self.caller, password: Self.callerPassword)]
            tweak(&c)
        }
    }

    func introspect(
        _ s: TestService, _ form: String, auth: String? = callerAuth, type: String = "application/x-www-form-urlencoded"
    )
        throws -> WireResponse
    {
        var headers = [("Content-Type", type)]
        if let auth { headers.append(("Authorization", auth)) }
        return try oneRequest(port: s.service.authPort, method: "POST", "/v1/auth/introspect", headers: headers, body: form)
    }

    func testIntrospectionActiveAndInactive() throws {
        let dir = TempDirectory()
        let idp = try FakeSIMASID(directory: dir.file("idp"))
        let s = try service(idp)

        let active = try introspect(s, "token=" + idp["valid"] + "&token_type_hint=access_token")
        XCTAssertEqual(active.status, 200)
        let j = try XCTUnwrap(active.json)
        XCTAssertEqual(j["active"] as? Bool, true)
        XCTAssertEqual(j["sub"] as? String, "f3b1c2d4-0000-4000-8000-000000000001")
        XCTAssertEqual(j["username"] as? String, "6285610573956")
        XCTAssertEqual(j["client_id"] as? String, "nanovest")
        XCTAssertEqual(j["iss"] as? String, FakeSIMASID.issuer)
        XCTAssertEqual(j["aud"] as? [String], ["nanovest", "account"])
        XCTAssertNotNil(j["exp"] as? Int)
        XCTAssertNotNil(j["iat"] as? Int)
        XCTAssertEqual(active.header("Cache-Control"), "no-store")

        for bad in ["expired", "wrong_iss", "alg_none", "hs256_public_key", "unknown_key", "azp_other"] {
            let r = try introspect(s, "token=" + idp[bad])
            XCTAssertEqual(r.status, 200, bad)
            XCTAssertEqual(r.text, #"{"active":false}"#, bad)
        }
        XCTAssertEqual(try introspect(s, "token=not%20a%20token").text, #"{"active":false}"#)

        // Callers need credentials of their own; a token is not one.
        let anonymous = try introspect(s, "token=" + idp["valid"], auth: nil)
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertTrue(anonymous.header("WWW-Authenticate")?.hasPrefix("Basic realm=") == true)
        XCTAssertEqual(try introspect(s, "token=" + idp["valid"], auth: "Bearer " + idp["valid"]).status, 401)
        XCTAssertEqual(
            try introspect(s, "token=" + idp["valid"], auth: "Basic " + Data("orders-api:guess".utf8).base64EncodedString()).status, 401)
        XCTAssertEqual(try introspect(s, "token_type_hint=access_token").status, 400)
        XCTAssertEqual(try introspect(s, "{\"token\":\"x\"}", type: "application/json").status, 400)
        XCTAssertEqual(
            try oneRequest(port: s.service.authPort, "/v1/auth/introspect", headers: [("Authorization", Self.callerAuth)]).status, 405)
        XCTAssertFalse(s.logLines.all.contains(idp["valid"].split(separator: ".").last!), "tokens never logged")
        XCTAssertFalse(s.logLines.all.contains(Self.callerPassword))
    }

    func testUserinfoModeCachesPositiveAnswersOnly() throws {
        let dir = TempDirectory()
        let idp = try FakeSIMASID(directory: dir.file("idp"))
        let s = try service(idp, mode: .userinfo) { $0.authGateway.userinfoCacheTTL = .seconds(1) }
        func verify(_ token: String) throws -> WireResponse {
            try oneRequest(port: s.service.authPort, "/v1/auth/verify", headers: [("Authorization", "Bearer " + token)])
        }
        let ok = try verify("userinfo-ok")
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(ok.header("X-Auth-Subject"), "279a-9bf")
        XCTAssertEqual(ok.header("X-Auth-Username"), "6285610573956")
        XCTAssertEqual(try verify("userinfo-ok").status, 200)
        XCTAssertEqual(try idp.count("userinfo"), 1, "the second answer came from the cache")
        Thread.sleep(forTimeInterval: 1.2)
        XCTAssertEqual(try verify("userinfo-ok").status, 200)
        XCTAssertEqual(try idp.count("userinfo"), 2, "the cache entry lived ttl seconds")

        let bad = try verify("userinfo-bad")
        XCTAssertEqual(bad.status, 401)
        XCTAssertEqual(
            bad.header("WWW-Authenticate"),
            #"Bearer realm="simas-id", error="invalid_token", "#
                + #"error_description="userinfo_unauthorized: SIMAS-ID userinfo did not accept the token""#
        )
        XCTAssertEqual(try verify("userinfo-bad").status, 401)
        XCTAssertEqual(try idp.count("userinfo"), 4, "refusals are not cached")
        XCTAssertEqual(try verify("userinfo-broken").status, 503)
        XCTAssertEqual(try verify("userinfo-noscope").status, 403)

        // Introspection in userinfo mode asks SIMAS-ID as well.
        let j = try XCTUnwrap(try introspect(s, "token=userinfo-ok").json)
        XCTAssertEqual(j["active"] as? Bool, true)
        XCTAssertEqual(j["sub"] as? String, "279a-9bf")
        XCTAssertEqual(try introspect(s, "token=userinfo-bad").text, #"{"active":false}"#)
    }

    func testKYCPrefillAnswersOnlyTheTokenOwnersRecord() throws {
        let dir = TempDirectory()
        let idp = try FakeSIMASID(directory: dir.file("idp"))
        let fake = try SQEKYCFake()
        let s = try service(idp) {
            $0.sqekyc = SQEKYCSettings(baseURL: fake.baseURL, clientID: SQEKYCFake.clientID, clientSecret: SQEKYCFake.clientSecret)
            $0.authGateway.kycPerSubjectMax = 4
        }
        let seed = SQEKYCClient(
            configuration: SQEKYCConfiguration(baseURL: fake.baseURL, clientID: SQEKYCFake.clientID, clientSecret: SQEKYCFake.clientSecret))
        _ = try seed.store(
            KYCRecord(
                clientID: "nanovest", phoneNumber: "6285610573956", fullName: "Budi Santoso", nik: "3171234567890002",
                dateOfBirth: "1988-02-03", email: "budi.santoso@example.co.id"))
        func kyc(_ token: String?, _ target: String = "/v1/me/kyc") throws -> WireResponse {
            try oneRequest(port: s.service.authPort, target, headers: token.map { [("Authorization", "Bearer " + $0)] } ?? [])
        }

        let mine = try kyc(idp["valid"])
        XCTAssertEqual(mine.status, 200, mine.text)
        XCTAssertEqual((mine.json?["data"] as? [String: Any])?["phone_number"] as? String, "6285610573956")
        XCTAssertEqual((mine.json?["data"] as? [String: Any])?["full_name"] as? String, "Budi Santoso")
        XCTAssertEqual(mine.header("Cache-Control"), "no-store")

        // The other user has no record yet: a phone number in the query changes nothing.
        let other = try kyc(idp["other_user"], "/v1/me/kyc?phone_number=6285610573956")
        XCTAssertEqual(other.status, 404)
        XCTAssertFalse(other.text.contains("Budi"))
        let spoof = try kyc(idp["other_user"], "/v1/me/kyc?phone_number=%2B6285610573956&preferred_username=6285610573956")
        XCTAssertEqual(spoof.status, 404)
        XCTAssertEqual(try kyc(nil).status, 401)
        XCTAssertEqual(try kyc(idp["expired"]).status, 401)
        XCTAssertEqual(try kyc(idp["unknown_key"]).status, 401)
        XCTAssertEqual(try kyc(idp["no_phone"]).status, 404)
        // Only the verified phone numbers ever reached SQEKYC.
        let asked = fake.requests().filter { ($0["method"] as? String) == "GET" }.compactMap { $0["path"] as? String }
        XCTAssertEqual(
            asked,
            [
                "/v1/common-kyc?phone_number=6285610573956", "/v1/common-kyc?phone_number=6281234567890",
                "/v1/common-kyc?phone_number=6281234567890",
            ])

        // Per subject: the fifth call within the window is refused, other subjects are not.
        for _ in 0..<3 { XCTAssertEqual(try kyc(idp["valid"]).status, 200) }
        let limited = try kyc(idp["valid"])
        XCTAssertEqual(limited.status, 429)
        XCTAssertNotNil(limited.header("Retry-After"))
        XCTAssertEqual(try kyc(idp["bu_admin"]).status, 429, "same subject, another token")

        XCTAssertEqual(try oneRequest(port: s.service.authPort, method: "POST", "/v1/me/kyc").status, 405)
        let logs = s.logLines.all
        for secret in ["6285610573956", "85610573956", "6281234567890", "Budi", "Santoso", "3171234567890002", "budi.santoso"] {
            XCTAssertFalse(logs.contains(secret), "a log line holds \(secret)")
        }
    }

    func testListenerIsOffUnlessConfigured() throws {
        let dir = TempDirectory()
        let idp = try FakeSIMASID(directory: dir.file("idp"))
        let s = try service(idp) { $0.authGateway.listen = nil }
        XCTAssertEqual(s.service.authPort, 0)
        XCTAssertTrue(s.logLines.all.contains("\"auth\":\"off\""))
    }
}
