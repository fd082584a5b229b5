import RelayCore
import Synchronization
import XCTest

@testable import SIMASID

/// `otp-relay token verify` through `TokenVerifyCLI`, against the fake IdP: output, exit statuses,
/// flags overriding the environment.
final class TokenVerifyCLITests: XCTestCase {
    private var idp: FakeIdP!
    private let tokens = TokenFixtures.shared

    override func setUpWithError() throws { idp = try FakeIdP() }
    override func tearDown() { idp.stop() }

    private struct Outcome {
        let status: Int32
        let out: String
        let err: String
    }

    private func run(_ args: [String], environment: [String: String] = [:], stdin: String? = nil) -> Outcome {
        let out = Mutex(""), err = Mutex("")
        let cli = TokenVerifyCLI(
            readStandardInput: { stdin }, standardOutput: { s in out.withLock { $0 += s + "\n" } },
            standardError: { s in err.withLock { $0 += s + "\n" } },
            transport: TestTransport.make(), clock: ManualClock(TokenFixtures.nowSeconds * 1000))
        let status = cli.run(args, environment: environment)
        return Outcome(status: status, out: out.withLock { $0 }, err: err.withLock { $0 })
    }

    private var local: [String] {
        ["--jwks-uri", idp.jwksURI, "--issuer", TokenFixtures.issuer, "--client-id", TokenFixtures.clientID]
    }

    func testValidTokenPrintsClaimsAndExitsZero() {
        let r = run(local + [tokens["valid"]])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains(#""preferred_username": "6285610573956""#), r.out)
        XCTAssertTrue(r.err.contains("token valid"))
    }

    func testInvalidTokenNamesTheCheckAndExitsOne() {
        for (name, check) in [
            ("expired", "expired"), ("wrong_iss", "iss"), ("alg_none", "algorithm_not_allowed"),
            ("tampered_signature", "signature_invalid"), ("aud_array_other", "aud"),
        ] {
            let r = run(local + [tokens[name]])
            XCTAssertEqual(r.status, 1, name)
            XCTAssertTrue(r.out.contains(#""check":"\#(check)""#), "\(name): \(r.out)")
            XCTAssertTrue(r.err.contains("token not valid: \(check): "), r.err)
            XCTAssertFalse(r.out.contains(tokens[name]) || r.err.contains(tokens[name]), "the token is never printed")
        }
    }

    func testStdinWithBearerPrefixAndNewline() {
        XCTAssertEqual(run(local + ["-"], stdin: "Bearer \(tokens["valid"])\n").status, 0)
        XCTAssertEqual(run(["token", "verify"] + local + ["-"], stdin: tokens["valid"]).status, 0)
    }

    func testFlagsChangeTheChecks() {
        XCTAssertEqual(run(local + [tokens["azp_other"]]).status, 1)
        XCTAssertEqual(run(local + ["--no-azp", tokens["azp_other"]]).status, 0)
        XCTAssertEqual(run(local + ["--leeway", "0", tokens["valid_skew_inside_leeway"]]).status, 1)
        XCTAssertEqual(run(local + ["--leeway=200", tokens["expired"]]).status, 0)
        XCTAssertEqual(run(local + ["--client-id", "siminvest", tokens["valid"]]).status, 1)
    }

    func testEnvironmentIsTheConfigurationAndFlagsOverrideIt() {
        let env = [
            "OTP_RELAY_SIMASID_JWKS_URI": idp.jwksURI, "OTP_RELAY_SIMASID_ISSUER": "https://wrong.example/realms/x",
            "OTP_RELAY_SIMASID_CLIENT_ID": TokenFixtures.clientID,
        ]
        XCTAssertEqual(run([tokens["valid"]], environment: env).status, 1)
        XCTAssertEqual(run(["--issuer", TokenFixtures.issuer, tokens["valid"]], environment: env).status, 0)
    }

    func testUsageErrorsExitTwo() {
        let unknown = run(local + ["--frobnicate", tokens["valid"]])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.err.contains("unknown flag --frobnicate"), unknown.err)
        XCTAssertEqual(run(local).status, 2, "no token")
        XCTAssertEqual(run(local + ["a", "b"]).status, 2, "two tokens")
        XCTAssertEqual(run(["--jwks-uri", idp.jwksURI, "--client-id", "nanovest", tokens["valid"]]).status, 2, "no issuer")
        XCTAssertEqual(run(["--issuer", "x", "--client-id", "nanovest", tokens["valid"]]).status, 2, "no JWKS URI")
        XCTAssertEqual(run(local + ["--env", "dev", tokens["valid"]]).status, 2)
        XCTAssertEqual(run(local + ["--leeway", "soon", tokens["valid"]]).status, 2)
        XCTAssertEqual(run(local + ["--issuer"]).status, 2, "flag without a value")
        XCTAssertEqual(run(local + ["-"], stdin: nil).status, 2, "unreadable stdin")
        let help = run(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.out.contains("usage: otp-relay token verify"))
    }

    func testEnvironmentPresetSelectsTheJWKSURI() throws {
        // Parsed only: tests never leave loopback.
        let staging = try TokenVerifyCLI.parse(["--env", "staging", "t"], environment: [:])
        XCTAssertEqual(staging.environment?.jwksURI, "https://api-stg.simas-id.com/v1/oidc/certs")
        let production = try TokenVerifyCLI.parse(["t"], environment: ["OTP_RELAY_SIMASID_ENV": "production"])
        XCTAssertEqual(production.environment?.jwksURI, "https://api.simas-id.com/v1/oidc/certs")
        let overridden = try TokenVerifyCLI.parse(["--env", "staging", "t"], environment: ["OTP_RELAY_SIMASID_ENV": "production"])
        XCTAssertEqual(overridden.environment, .staging)
    }

    func testUserinfoPath() throws {
        let ok = run(["--userinfo", idp.userinfoURL, "userinfo-ok"])
        XCTAssertEqual(ok.status, 0, ok.err)
        XCTAssertTrue(ok.out.contains(#""sub": "279a-9bf""#))
        let scope = run(["--userinfo", idp.userinfoURL, "userinfo-noscope"])
        XCTAssertEqual(scope.status, 1)
        XCTAssertTrue(scope.out.contains(#""check":"insufficient_scope""#))
        XCTAssertEqual(run(["--userinfo", idp.userinfoURL, "nope"]).status, 1)
        XCTAssertEqual(try idp.userinfoCalls(), 3)
    }
}
